/** What the shadow server (bench/lib/shadow-server.ts) answers to { type: 'stats' } over IPC. */
export interface ShadowStats {
  readonly type: 'stats';
  /** requests received so far */
  readonly received: number;
  /** of those, with `x-junction-shadow: 1` */
  readonly marked: number;
  /** requests being held (delayed) right now */
  readonly inFlight: number;
  /** most requests held at once so far */
  readonly maxInFlight: number;
}
