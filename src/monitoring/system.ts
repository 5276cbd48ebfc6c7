import { statfs } from 'node:fs/promises';
import os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Settings } from '../config/settings.js';
import { ping, type Db } from '../db/connection.js';
import type { ReadinessCheck } from '../core/readiness.js';
import type { SystemSnapshot } from '../api/contracts/monitoring.js';

/** The answers' shapes are declared in the API contract (src/api/contracts/monitoring.ts). */
export type { SystemSnapshot } from '../api/contracts/monitoring.js';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Free space of the file system holding `dir`. */
export async function diskFree(dir: string): Promise<SystemSnapshot['disk']> {
  try {
    const s = await statfs(dir);
    const free = s.bavail * s.bsize;
    const total = s.blocks * s.bsize;
    return {
      path: dir,
      free_bytes: free,
      total_bytes: total,
      free_percent: total ? round((free / total) * 100, 2) : null,
    };
  } catch {
    return { path: dir, free_bytes: null, total_bytes: null, free_percent: null };
  }
}

export function memoryUsedPercent(): number {
  return round((1 - os.freemem() / os.totalmem()) * 100, 2);
}

/**
 * Process and host probes. CPU percentages are measured between two calls (the first call
 * measures since construction); event-loop delay is the p99 since the previous call, at least
 * over the last few seconds.
 */
export class SystemMonitor {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private lastSystem = cpuTimes();
  private lastLoopReset = performance.now();

  constructor(
    private readonly settings: Pick<Settings, 'dataDir'>,
    private readonly db?: Db,
  ) {
    this.loop.enable();
  }

  stop(): void {
    this.loop.disable();
  }

  async sample(): Promise<SystemSnapshot> {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const system = cpuTimes();
    const cores = os.cpus().length || 1;
    const elapsedMs = Math.max(1, wall - this.lastWall);
    const processMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const totalDelta = system.total - this.lastSystem.total;
    const idleDelta = system.idle - this.lastSystem.idle;
    this.lastCpu = cpu;
    this.lastWall = wall;
    this.lastSystem = system;

    const hasLoopData = this.loop.count > 0;
    const loopP99 = hasLoopData ? round(this.loop.percentile(99) / 1e6, 2) : null;
    const loopMean = hasLoopData ? round(this.loop.mean / 1e6, 2) : null;
    // Keep at least ~10 s of event-loop samples so back-to-back calls still see a p99.
    if (wall - this.lastLoopReset > 10_000) {
      this.loop.reset();
      this.lastLoopReset = wall;
    }

    const mem = process.memoryUsage();
    let database: SystemSnapshot['database'] = { dialect: this.db?.dialect ?? 'none', ok: false, round_trip_ms: null };
    if (this.db) {
      try {
        database = { dialect: this.db.dialect, ok: true, round_trip_ms: round(await ping(this.db), 2) };
      } catch (err) {
        database = { dialect: this.db.dialect, ok: false, round_trip_ms: null, error: (err as Error).message };
      }
    }
    return {
      time: new Date().toISOString(),
      cpu: {
        process_percent: round(Math.min(100, (processMs / (elapsedMs * cores)) * 100)),
        system_percent: totalDelta > 0 ? round((1 - idleDelta / totalDelta) * 100) : 0,
        cores,
        load_avg_1m: round(os.loadavg()[0] ?? 0, 2),
      },
      memory: {
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        heap_total_bytes: mem.heapTotal,
        system_total_bytes: os.totalmem(),
        system_available_bytes: os.freemem(),
        system_used_percent: memoryUsedPercent(),
      },
      event_loop: { delay_p99_ms: loopP99, delay_mean_ms: loopMean },
      disk: await diskFree(this.settings.dataDir),
      database,
    };
  }
}

/** Hard limits behind /health/ready: below these the lab cannot work safely. */
export const HARD_LIMITS = { minDiskFreeBytes: 100 * 1024 * 1024, minDiskFreePercent: 1, maxMemoryUsedPercent: 99 };

/** Problems with the hard limits; empty when all is well. */
export async function hardLimitProblems(settings: Pick<Settings, 'dataDir'>): Promise<string[]> {
  const problems: string[] = [];
  const disk = await diskFree(settings.dataDir);
  if (disk.free_bytes !== null && disk.free_percent !== null) {
    if (disk.free_bytes < HARD_LIMITS.minDiskFreeBytes || disk.free_percent < HARD_LIMITS.minDiskFreePercent) {
      problems.push(
        `disk: ${(disk.free_bytes / 2 ** 20).toFixed(0)} MiB (${disk.free_percent}%) free in ${settings.dataDir}`,
      );
    }
  }
  const used = memoryUsedPercent();
  if (used > HARD_LIMITS.maxMemoryUsedPercent) problems.push(`memory: ${used}% of system memory in use`);
  return problems;
}

/** Hard system limits (free disk of DATA_DIR, system memory): beyond them the lab cannot work safely. */
export const systemReadiness: ReadinessCheck<{ settings: Settings }> = async (ctx) => {
  const problems = await hardLimitProblems(ctx.settings);
  return problems.length === 0
    ? { name: 'system', ok: true, detail: 'disk and memory within limits' }
    : { name: 'system', ok: false, detail: problems.join('; ') };
};
