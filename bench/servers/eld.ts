import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The event-loop delay of a server process over the bench's measured window, on its control channel:
 * `{cmd: 'eld-reset'}` at the window's start, `{cmd: 'eld-read'}` at its end, answered with
 * `{eld: {p50, p99, max, mean, n}}` in milliseconds (perf_hooks.monitorEventLoopDelay at a 5 ms resolution). The
 * histogram records the time between two of its checks, which includes the resolution itself (an idle loop reads
 * ~5 ms): the figures here are that time minus the resolution, i.e. how late the loop ran each check.
 */
export function serveEventLoopDelay(): void {
  const resolutionMs = 5;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - resolutionMs) * 100) / 100);
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'eld-reset') h.reset();
    if (m.cmd === 'eld-read') {
      // The reset and the read are handled by the loop they measure: a loop blocked for most of the window leaves
      // (almost) no checks in it, and then there is no figure, only `n`.
      if (h.count < 10) {
        process.send?.({ eld: { p50: null, p99: null, max: null, mean: null, resolution: resolutionMs, n: h.count } });
        return;
      }
      process.send?.({
        eld: {
          p50: ms(h.percentile(50)),
          p99: ms(h.percentile(99)),
          max: ms(h.max),
          mean: ms(h.mean),
          resolution: resolutionMs,
          n: h.count,
        },
      });
    }
  });
}
