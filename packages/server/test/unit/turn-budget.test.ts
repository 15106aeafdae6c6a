import { describe, expect, it } from 'vitest';
import { TurnBudget } from '../../src/gateway/turn-budget.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('TurnBudget', () => {
  it('serves up to the budget per turn and the rest in later turns, in arrival order, resuming each socket', async () => {
    const budget = new TurnBudget(2);
    const served: number[] = [];
    const paused = new Set<number>();
    for (let i = 0; i < 5; i++) {
      if (budget.take()) served.push(i);
      else
        void budget
          .wait(
            () => paused.add(i),
            () => paused.delete(i),
          )
          .then(() => served.push(i));
    }
    expect(served).toEqual([0, 1]);
    expect(paused.size).toBe(3);
    for (let t = 0; t < 4 && served.length < 5; t++) await nextTurn();
    expect(served).toEqual([0, 1, 2, 3, 4]);
    expect(paused.size).toBe(0);
  });

  it('a frame that comes to wait after the turn that could serve it ran is still served (no stuck socket)', async () => {
    const budget = new TurnBudget(1);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false); // over budget: this frame will wait, but only once its chain reaches wait()
    await nextTurn(); // the scheduled turn runs with nobody waiting yet (the chain was busy)
    await nextTurn();
    let served = false;
    let paused = false;
    await Promise.race([
      budget
        .wait(
          () => (paused = true),
          () => (paused = false),
        )
        .then(() => (served = true)),
      new Promise((r) => setTimeout(r, 200)),
    ]);
    expect(served).toBe(true);
    expect(paused).toBe(false);
  });
});
