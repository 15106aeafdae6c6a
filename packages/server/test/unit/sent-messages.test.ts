import { describe, expect, it } from 'vitest';
import { SentMessages } from '../../src/gateway/sent-messages.js';

describe('SentMessages: what one connection was already given', () => {
  it('a message offered again is refused; every other message, in any order, passes once', () => {
    const sent = new SentMessages();
    expect(sent.firstTime('g:1', 3)).toBe(true);
    expect(sent.firstTime('g:1', 5)).toBe(true);
    expect(sent.firstTime('g:1', 3)).toBe(false);
    expect(sent.firstTime('g:1', 4)).toBe(true); // published late (its node died): below the top, never given
    expect(sent.firstTime('g:1', 4)).toBe(false);
    expect(sent.firstTime('g:2', 3)).toBe(true); // conversations are apart
    expect(sent.firstTime('g:1', 5)).toBe(false);
  });

  it('what it no longer remembers passes again (at-least-once), never the other way round', () => {
    const sent = new SentMessages();
    expect(sent.firstTime('g:1', 1)).toBe(true);
    expect(sent.firstTime('g:1', 1 + 256)).toBe(true); // the window slid past seq 1
    expect(sent.firstTime('g:1', 1)).toBe(true);
    expect(sent.firstTime('g:1', 2)).toBe(true); // a slot reused by the slide is not mistaken for seq 2
    expect(sent.firstTime('g:1', 300)).toBe(true);
    expect(sent.firstTime('g:1', 300 - 255)).toBe(true);
    expect(sent.firstTime('g:1', 300 - 255)).toBe(false);
    for (let c = 0; c < 64; c++) expect(sent.firstTime(`g:${100 + c}`, 1)).toBe(true);
    expect(sent.firstTime('g:1', 300)).toBe(true); // the least recently used conversation was forgotten
    expect(sent.firstTime('g:163', 1)).toBe(false);
  });
});
