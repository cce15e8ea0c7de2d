// fault: chaos testing — aborts a share of requests with a status, and/or delays a share of them.
// config: { "abortPercent": 5, "abortStatus": 503, "delayPercent": 10, "delayMs": 200 }
// Each request draws independently (Math.random). A delay longer than the filter time budget
// (--filter-budget-ms, 5 s by default) ends as 504 filter_timeout.

/** @type {import('junction/filter').FilterModule<{ abortPercent?: number, abortStatus?: number, delayPercent?: number, delayMs?: number }>} */
export default {
  type: 'fault',
  schema: {
    type: 'object',
    properties: {
      abortPercent: { type: 'number', minimum: 0, maximum: 100 },
      abortStatus: { type: 'integer', minimum: 200, maximum: 599 },
      delayPercent: { type: 'number', minimum: 0, maximum: 100 },
      delayMs: { type: 'integer', minimum: 0, maximum: 600000 },
    },
    additionalProperties: false,
  },
  create(config) {
    const abortPercent = config.abortPercent ?? 0;
    const delayPercent = config.delayPercent ?? 0;
    const delayMs = config.delayMs ?? 0;
    const abort = {
      status: config.abortStatus ?? 503,
      headers: { 'x-junction-fault': 'abort' },
      body: { error: 'fault_injected', message: 'request aborted by the fault filter' },
    };
    /** @type {Set<NodeJS.Timeout>} */
    const timers = new Set();
    return {
      onRequest(ex) {
        const aborting = abortPercent > 0 && Math.random() * 100 < abortPercent;
        const delaying = delayMs > 0 && delayPercent > 0 && Math.random() * 100 < delayPercent;
        if (!delaying) return aborting ? abort : undefined;
        ex.scratch.set('fault.delayed', delayMs);
        return new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve(aborting ? abort : undefined);
          }, delayMs);
          timers.add(t);
        });
      },
      close() {
        for (const t of timers) clearTimeout(t);
        timers.clear();
      },
    };
  },
};
