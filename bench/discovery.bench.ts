/**
 * Intent discovery on the BANKING77 removed-intents protocol (issue goal: ≥ 7 of 10 removed
 * intents recovered as a cluster of purity ≥ 0.7, NMI ≥ 0.7). All 77 intents; 10 removed with the
 * seed (BENCH_SEED, default 42); tfidf-linear trained on the 67 others; the 3,080 test rows
 * labelled as a log; discovery with its default settings on the fallback pool (the protocol), then
 * on the low-confidence pool (confidence < 0.7) of the same log for comparison.
 * BENCH_CACHE_DIR keeps embeddings between runs (default: a fresh temp folder, i.e. cold).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../src/config/settings.js';
import { openLab } from '../src/lab/context.js';
import { discoverAndMeasure, prepareProtocol, type ProtocolFigures } from './discovery-protocol.js';
import { printTable, writeResult } from './harness.js';

const seed = Number(process.env.BENCH_SEED ?? 42);
const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-bench-discovery-'));
const env: Record<string, string> = { LOG_LEVEL: 'silent', DATABASE_URL: `sqlite:${path.join(dir, 'bench.db')}` };
if (process.env.BENCH_CACHE_DIR) env.MODEL_CACHE_DIR = process.env.BENCH_CACHE_DIR;
const lab = await openLab(loadSettings({ cwd: dir, env }));

function report(f: ProtocolFigures): void {
  console.log(
    `\n== pool ${f.pool}: ${f.pool_size} turns (${(f.pool_removed_share * 100).toFixed(1)} % of them from removed intents); ` +
      `${f.clusters} clusters (min size ${String(f.run.params.min_cluster_size)}, min samples ${String(f.run.params.min_samples)}), ` +
      `noise ${(f.noise_share * 100).toFixed(1)} % of the pool; discovery ${f.seconds.discover} s`,
  );
  console.log('clusters (majority true intent, purity; * = a removed intent):');
  printTable(
    f.purity_by_cluster.map((c) => ({
      size: c.size,
      majority: `${c.removed ? '* ' : ''}${c.majority}`,
      purity: c.purity.toFixed(2),
      suggestion: c.suggestion,
    })),
  );
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('');
  printTable([
    {
      figure: 'removed intents recovered (purity ≥ 0.7)',
      value: `${f.recovered_count} of ${f.removed.length}`,
      goal: '≥ 7 of 10',
      status: goal(f.recovered_count >= 7),
    },
    { figure: 'NMI (noise = one cluster)', value: f.nmi.toFixed(3), goal: '≥ 0.7', status: goal(f.nmi >= 0.7) },
    {
      figure: 'NMI (noise = singletons)',
      value: f.nmi_noise_singletons.toFixed(3),
      goal: '≥ 0.7',
      status: goal(f.nmi_noise_singletons >= 0.7),
    },
    { figure: 'adjusted Rand index', value: f.ari.toFixed(3), goal: '-', status: '' },
    {
      figure: 'removed-intent turns reaching the pool',
      value: `${(f.removed_in_pool_share * 100).toFixed(1)} %`,
      goal: '-',
      status: '',
    },
  ]);
  console.log(`recovered: ${f.recovered.join(', ') || '(none)'}`);
  const minSize = Number(f.run.params.min_cluster_size);
  const findable = f.removed_turns_in_pool_by_intent.filter((r) => r.turns >= minSize).length;
  console.log(
    `removed-intent turns in the pool: ${f.removed_turns_in_pool_by_intent.map((r) => `${r.intent} ${r.turns}`).join(', ')}` +
      ` (${findable} of ${f.removed.length} intents have at least the smallest cluster size, ${minSize})`,
  );
}

try {
  const setup = await prepareProtocol({ ...lab, dir }, { seed, onPhase: (p) => console.log(`.. ${p}`) });
  console.log(`\nremoved intents (seed ${seed}): ${setup.removed.join(', ')}`);
  console.log(
    `log ${setup.logRows.length} turns; model threshold ${setup.threshold.toFixed(4)} (chosen on validation by training); ` +
      `train ${setup.seconds.train} s, label ${setup.seconds.label} s`,
  );
  const results: ProtocolFigures[] = [];
  for (const pool of ['fallback', 'low-confidence'] as const) {
    const f = await discoverAndMeasure(lab, setup, { pool });
    report(f);
    results.push(f);
  }
  const file = writeResult(`discovery${seed === 42 ? '' : `-seed${seed}`}`, {
    seed,
    removed: setup.removed,
    model_threshold: setup.threshold,
    pools: results.map(({ run, ...f }) => ({ ...f, params: run.params })),
    goals: { recovered: '>= 7 of 10 (fallback pool)', nmi: '>= 0.7' },
  });
  console.log(`\nwrote ${file}`);
} finally {
  await lab.db.close();
  rmSync(dir, { recursive: true, force: true });
}
