type Deps = readonly unknown[] | undefined;

/**
 * Just enough of React's hooks (useState, useEffect, useCallback) to run one hook the way a component would:
 * state changes re-render it (batched per microtask), effects run after a render when their deps changed and
 * are cleaned up before re-running and on unmount. Used to run seed 003's `useWebSocket` hook unchanged.
 */
export function createHookRuntime() {
  const states: unknown[] = [];
  const effects: { deps: Deps; cleanup: unknown }[] = [];
  const due: (() => void)[] = [];
  let stateAt = 0;
  let effectAt = 0;
  let rerender: (() => void) | null = null;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || !rerender) return;
    scheduled = true;
    queueMicrotask(() => {
      scheduled = false;
      rerender?.();
    });
  };
  const changed = (a: Deps, b: Deps) =>
    a === undefined || b === undefined || a.length !== b.length || a.some((d, i) => !Object.is(d, b[i]));

  const hooks = {
    useState<S>(initial: S | (() => S)): [S, (next: S | ((prev: S) => S)) => void] {
      const i = stateAt++;
      if (!(i in states)) states[i] = typeof initial === 'function' ? (initial as () => S)() : initial;
      const set = (next: S | ((prev: S) => S)) => {
        const value = typeof next === 'function' ? (next as (prev: S) => S)(states[i] as S) : next;
        if (Object.is(value, states[i])) return;
        states[i] = value;
        schedule();
      };
      return [states[i] as S, set];
    },
    useEffect(effect: () => unknown, deps?: readonly unknown[]): void {
      const i = effectAt++;
      const prev = effects[i];
      if (prev && !changed(deps, prev.deps)) return;
      due.push(() => {
        if (typeof prev?.cleanup === 'function') prev.cleanup();
        effects[i] = { deps, cleanup: effect() };
      });
    },
    useCallback<F>(fn: F): F {
      return fn;
    },
  };

  return {
    hooks,
    /** Mounts the hook; `result.current` is what its latest render returned. */
    render<A extends unknown[], R>(hook: (...args: A) => R, ...args: A) {
      const result = { current: undefined as R, renders: 0 };
      rerender = () => {
        stateAt = 0;
        effectAt = 0;
        result.current = hook(...args);
        result.renders++;
        for (const run of due.splice(0)) run();
      };
      rerender();
      return {
        result,
        unmount() {
          rerender = null;
          for (const e of effects) if (typeof e?.cleanup === 'function') e.cleanup();
        },
      };
    },
  };
}
