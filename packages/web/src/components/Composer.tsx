import { type FormEvent, type KeyboardEvent, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { useModel } from '../lib/use-model.js';
import { Icon } from './Icon.js';

interface Props {
  conversationId: string;
  title: string;
}

/** Enter sends, Shift+Enter adds a line. Works offline too: the message waits in the outbox. */
export function Composer({ conversationId, title }: Props) {
  const model = useModel();
  const id = useId();
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => ref.current?.focus(), []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 120)}px`;
  });

  function send(e?: FormEvent) {
    e?.preventDefault();
    if (text.trim() === '') return;
    void model.send(conversationId, text);
    setText('');
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  }

  return (
    <form className="composer" onSubmit={send}>
      <label htmlFor={id} className="sr-only">
        Message to {title}
      </label>
      <textarea
        id={id}
        ref={ref}
        rows={1}
        value={text}
        placeholder="Write a message…"
        maxLength={model.client.hello?.limits.max_message_chars ?? 4000}
        onChange={(e) => {
          setText(e.target.value);
          model.typing(conversationId).input(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => model.typing(conversationId).stop()}
      />
      <button type="submit" className="send" aria-label="Send message" disabled={text.trim() === ''}>
        <Icon name="send" />
      </button>
    </form>
  );
}
