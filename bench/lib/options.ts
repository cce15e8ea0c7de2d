/** Bench knobs, all from environment variables (see docs/bench.md). */
export interface BenchOptions {
  /** measured seconds per throughput scenario (BENCH_DURATION, default 10) */
  readonly durationS: number;
  /** un-measured warm-up seconds before each (BENCH_WARMUP, default 3) */
  readonly warmupS: number;
  /** concurrent connections of the load generator (BENCH_CONNECTIONS, default 50) */
  readonly connections: number;
  /** subset of throughput scenario ids (BENCH_SCENARIOS=a,b), default all */
  readonly scenarios: readonly string[] | undefined;
  /** CPU profile of Junction: auto = only when below the goal (BENCH_PROFILE=auto|1|0) */
  readonly profile: 'auto' | 'on' | 'off';
  /** where to copy Junction's .cpuprofile (BENCH_PROFILE_OUT), default: not kept */
  readonly profileOut: string | undefined;
  /** before each measured run, wait up to this many seconds for the machine to be quiet (BENCH_QUIET_WAIT, default 30; 0 = don't) */
  readonly quietWaitS: number;
  /** "quiet" = all cores together less busy than this % over 1 s (BENCH_QUIET_PCT, default 15) */
  readonly quietPct: number;
  /** route changes measured by the config bench (BENCH_CONFIG_ITERATIONS, default 200) */
  readonly configIterations: number;
  /** routes in the large configuration (BENCH_ROUTES, default 10000) */
  readonly routes: number;
  /** measured seconds per routes-load throughput run (BENCH_ROUTES_DURATION, default 5) */
  readonly routesDurationS: number;
  /** alternating 10 / N rounds of the routes-load throughput runs (BENCH_ROUTES_ROUNDS, default 2) */
  readonly routesRounds: number;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${name}=${raw}: expected a number in ${min}..${max}`);
  return v;
}

export function benchOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const profile = env['BENCH_PROFILE'] ?? 'auto';
  if (!['auto', '1', '0', 'on', 'off'].includes(profile)) throw new Error(`BENCH_PROFILE=${profile}: expected auto, 1 or 0`);
  const scenarios = env['BENCH_SCENARIOS']?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return {
    durationS: num(env, 'BENCH_DURATION', 10, 1, 600),
    warmupS: num(env, 'BENCH_WARMUP', 3, 0, 120),
    connections: Math.round(num(env, 'BENCH_CONNECTIONS', 50, 1, 10_000)),
    scenarios: scenarios && scenarios.length > 0 ? scenarios : undefined,
    profile: profile === '1' || profile === 'on' ? 'on' : profile === '0' || profile === 'off' ? 'off' : 'auto',
    profileOut: env['BENCH_PROFILE_OUT'] || undefined,
    quietWaitS: num(env, 'BENCH_QUIET_WAIT', 30, 0, 3600),
    quietPct: num(env, 'BENCH_QUIET_PCT', 15, 1, 100),
    configIterations: Math.round(num(env, 'BENCH_CONFIG_ITERATIONS', 200, 1, 100_000)),
    routes: Math.round(num(env, 'BENCH_ROUTES', 10_000, 10, 1_000_000)),
    routesDurationS: num(env, 'BENCH_ROUTES_DURATION', 5, 1, 600),
    routesRounds: Math.round(num(env, 'BENCH_ROUTES_ROUNDS', 2, 1, 20)),
  };
}
