import type { Command } from 'commander';
import { AppError } from '../../core/errors.js';
import type { ClusterView, DiscoveryRunView } from '../../discovery/repository.js';
import { output, table, withLab } from '../output.js';

/** One bar per phase (embedding is the long one), on a terminal only. */
async function phaseBar() {
  if (!process.stderr.isTTY) return { update: (_p: string, _d: number, _t: number) => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {percentage}% | {value}/{total} | ETA {eta}s', stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  return {
    update(p: string, done: number, total: number) {
      if (p !== phase) {
        if (phase) bar.stop();
        phase = p;
        bar.start(total, done, { phase: p.padEnd(7) });
      } else bar.update(done);
    },
    stop: () => phase && bar.stop(),
  };
}

function clusterLine(c: ClusterView): Record<string, unknown> {
  const nearest = c.nearest_intents[0];
  return {
    cluster: c.id,
    size: c.size,
    suggestion: c.name_suggestion,
    nearest: nearest ? `${nearest.intent} (${nearest.similarity.toFixed(2)})` : '',
    status: c.intent ? `${c.status} ${c.intent}` : c.status,
    example: c.examples[0]?.text.slice(0, 60) ?? '',
  };
}

function describeRun(run: DiscoveryRunView): string {
  const params = run.params;
  return [
    `Discovery run ${run.id} on dataset ${run.dataset_id}: pool ${run.pool} (threshold ${params.threshold}), ` +
      `${run.pool_size} turns${params.truncated ? ' (the least confident kept)' : ''}, ${run.clusters.length} clusters, ` +
      `${run.noise} turns left as noise (min cluster size ${params.min_cluster_size}).`,
    table(run.clusters.map(clusterLine)),
    run.clusters.length
      ? 'Next: chatlab discover accept <cluster> --intent NAME | merge <cluster> --into INTENT | dismiss <cluster>'
      : 'No cluster found: try --pool low-confidence, or a smaller --min-cluster-size.',
  ].join('\n');
}

function describeCluster(c: ClusterView): string {
  return `Cluster ${c.id} (${c.size} turns) ${c.status}${c.intent ? ` as ${c.intent}` : ''} by ${c.decided_by}.`;
}

export function registerDiscovery(program: Command): void {
  const discover = program
    .command('discover')
    .description(
      "cluster a log's unrecognised user turns into candidate new intents (needs predictions: chatlab analyze)",
    )
    .option('--dataset <id>', 'the conversation log (id, name or name@version)')
    .option('--pool <pool>', 'fallback | low-confidence | unlabelled', 'fallback')
    .option('--threshold <p>', "fallback confidence threshold (default: the model's)")
    .option('--low-confidence <p>', 'pool low-confidence: turns under this confidence too', '0.7')
    .option('--model <ref>', 'model whose threshold defines a fallback (default: production)')
    .option('--min-cluster-size <n>', 'smallest cluster (default: 1 % of the pool, 5 to 25)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nThen act on a cluster:\n  chatlab discover accept <cluster> --intent NAME\n  chatlab discover merge <cluster> --into INTENT\n  chatlab discover dismiss <cluster>',
    )
    .action(
      async (opts: {
        dataset?: string;
        pool: string;
        threshold?: string;
        lowConfidence: string;
        model?: string;
        minClusterSize?: string;
        json?: boolean;
      }) => {
        if (!opts.dataset) {
          throw new AppError('VALIDATION_ERROR', 'discover needs --dataset <log id> (see chatlab discover --help)', 2);
        }
        const { discoverIntents } = await import('../../discovery/discover.js');
        const bar = await phaseBar();
        const run = await withLab(async (lab) => {
          try {
            return await discoverIntents(
              lab,
              {
                datasetId: opts.dataset!,
                pool: opts.pool,
                threshold: opts.threshold === undefined ? undefined : Number(opts.threshold),
                lowConfidence: Number(opts.lowConfidence),
                model: opts.model,
                minClusterSize: opts.minClusterSize === undefined ? undefined : Number(opts.minClusterSize),
              },
              bar.update,
            );
          } finally {
            bar.stop();
          }
        });
        if (run.status === 'failed')
          throw new AppError('DISCOVERY_FAILED', `discovery run ${run.id} failed: ${run.error}`, 500);
        output(run, opts, describeRun);
      },
    );

  const reviewer = 'cli';
  // commander hands `discover accept 3 --json` to the parent's --json (both define it).
  const asJson = (opts: { json?: boolean }) => ({ json: opts.json === true || discover.opts().json === true });
  discover
    .command('accept <cluster>')
    .description("accept a cluster as a new intent: each of its turns gets a 'new_intent' review decision")
    .requiredOption('--intent <name>', 'the new intent')
    .option('--json', 'machine-readable output')
    .action(async (cluster: string, opts: { intent: string; json?: boolean }) => {
      const { acceptCluster } = await import('../../discovery/actions.js');
      const { parseId } = await import('../../discovery/repository.js');
      const result = await withLab((lab) => acceptCluster(lab, parseId(cluster, 'cluster'), opts.intent, reviewer));
      output(result, asJson(opts), describeCluster);
    });
  discover
    .command('merge <cluster>')
    .description("merge a cluster into an existing intent: each of its turns gets a 'correct' review decision")
    .requiredOption('--into <intent>', 'an intent of the log')
    .option('--json', 'machine-readable output')
    .action(async (cluster: string, opts: { into: string; json?: boolean }) => {
      const { mergeCluster } = await import('../../discovery/actions.js');
      const { parseId } = await import('../../discovery/repository.js');
      const result = await withLab((lab) => mergeCluster(lab, parseId(cluster, 'cluster'), opts.into, reviewer));
      output(result, asJson(opts), describeCluster);
    });
  discover
    .command('dismiss <cluster>')
    .description('dismiss a cluster (no decision is recorded for its turns)')
    .option('--json', 'machine-readable output')
    .action(async (cluster: string, opts: { json?: boolean }) => {
      const { dismissCluster } = await import('../../discovery/actions.js');
      const { parseId } = await import('../../discovery/repository.js');
      const result = await withLab((lab) => dismissCluster(lab, parseId(cluster, 'cluster'), reviewer));
      output(result, asJson(opts), describeCluster);
    });
  discover
    .command('show <run>')
    .description('a discovery run with its clusters')
    .option('--json', 'machine-readable output')
    .action(async (run: string, opts: { json?: boolean }) => {
      const { getDiscoveryRun, parseId } = await import('../../discovery/repository.js');
      const result = await withLab((lab) => getDiscoveryRun(lab, parseId(run, 'run')));
      output(result, asJson(opts), describeRun);
    });
}
