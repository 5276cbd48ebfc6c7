import { hash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { num, visibleDataset } from '../filters.js';
import { PATH_SEPARATOR } from './build.js';

/**
 * Flow rollups: per dataset, what every conversation's collapsed user path (kept in
 * `conversation_rollups.path`) adds up to — journey steps, entries and exits per intent
 * (`flow_nodes`), transitions per source -> target (`flow_links`) and conversations per distinct
 * path (`flow_paths`, ranked by an index for the top paths). Without them an unfiltered flow answer
 * groups every conversation's path and folds each distinct path (about one per conversation).
 *
 * They are counts, so they move by deltas: a conversation whose path changes takes its counts away
 * from the old path and adds them to the new one (`moveFlowPaths`, in the same transaction as the
 * conversation rollups it follows). Rows whose counts reach zero are deleted, so the tables always
 * equal a build from scratch.
 */

const FLOW_TABLES = ['flow_nodes', 'flow_links', 'flow_paths'] as const;
const BATCH = 1000;

export interface FlowCounts {
  /** Journey steps at this intent. */
  steps: number;
  /** Conversations whose path starts here. */
  entries: number;
  /** Conversations whose path ends here. */
  exits: number;
}

/** Steps and transitions of a set of paths, each path weighted by its conversation count. */
export interface PathFold {
  nodes: Map<string, FlowCounts>;
  /** Keyed by source and target joined with U+0000. */
  links: Map<string, { source: string; target: string; count: number }>;
}

export const emptyFold = (): PathFold => ({ nodes: new Map(), links: new Map() });

/** Adds `count` conversations following `path` to the fold (a negative count takes them away). */
export function foldPath(fold: PathFold, path: string, count: number): void {
  const steps = path.split(PATH_SEPARATOR);
  const node = (name: string) => {
    let n = fold.nodes.get(name);
    if (!n) fold.nodes.set(name, (n = { steps: 0, entries: 0, exits: 0 }));
    return n;
  };
  node(steps[0]!).entries += count;
  node(steps[steps.length - 1]!).exits += count;
  steps.forEach((step, i) => {
    node(step).steps += count;
    if (i === 0) return;
    const key = `${steps[i - 1]}\u0000${step}`;
    let link = fold.links.get(key);
    if (!link) fold.links.set(key, (link = { source: steps[i - 1]!, target: step, count: 0 }));
    link.count += count;
  });
}

/** Paths are keyed by a digest: PostgreSQL cannot index text longer than a third of a page. */
const pathKey = (path: string) => hash('sha1', path, 'hex');

/** Changes to the flow rollups of one dataset: conversations per path, and their fold. */
interface FlowDelta {
  paths: Map<string, number>;
  fold: PathFold;
}

function addPath(deltas: Map<number, FlowDelta>, datasetId: number, path: string, count: number): void {
  let d = deltas.get(datasetId);
  if (!d) deltas.set(datasetId, (d = { paths: new Map(), fold: emptyFold() }));
  d.paths.set(path, (d.paths.get(path) ?? 0) + count);
  foldPath(d.fold, path, count);
}

/** Adds the deltas to the flow rollups (creating rows as needed) and deletes rows left at zero. */
async function applyFlowDeltas(db: Kysely<any>, deltas: Map<number, FlowDelta>): Promise<void> {
  for (const [datasetId, d] of deltas) {
    // In key order, so the rows go into the primary-key b-tree one after another.
    const paths = [...d.paths]
      .filter(([, n]) => n !== 0)
      .map(([path, n]) => ({ dataset_id: datasetId, path_key: pathKey(path), path, conversations: n }))
      .sort((a, b) => (a.path_key < b.path_key ? -1 : 1));
    const nodes = [...d.fold.nodes].filter(([, n]) => n.steps !== 0 || n.entries !== 0 || n.exits !== 0);
    const links = [...d.fold.links.values()].filter((l) => l.count !== 0);
    for (let i = 0; i < paths.length; i += BATCH) {
      await db
        .insertInto('flow_paths')
        .values(paths.slice(i, i + BATCH))
        .onConflict((oc) =>
          oc
            .columns(['dataset_id', 'path_key'])
            .doUpdateSet({ conversations: sql`flow_paths.conversations + excluded.conversations` }),
        )
        .execute();
    }
    for (let i = 0; i < nodes.length; i += BATCH) {
      await db
        .insertInto('flow_nodes')
        .values(nodes.slice(i, i + BATCH).map(([intent, n]) => ({ dataset_id: datasetId, intent, ...n })))
        .onConflict((oc) =>
          oc.columns(['dataset_id', 'intent']).doUpdateSet({
            steps: sql`flow_nodes.steps + excluded.steps`,
            entries: sql`flow_nodes.entries + excluded.entries`,
            exits: sql`flow_nodes.exits + excluded.exits`,
          }),
        )
        .execute();
    }
    for (let i = 0; i < links.length; i += BATCH) {
      await db
        .insertInto('flow_links')
        .values(
          links.slice(i, i + BATCH).map((l) => ({
            dataset_id: datasetId,
            source: l.source,
            target: l.target,
            transitions: l.count,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['dataset_id', 'source', 'target'])
            .doUpdateSet({ transitions: sql`flow_links.transitions + excluded.transitions` }),
        )
        .execute();
    }
    // A node with no step has no entry or exit either (both are steps).
    if (paths.some((p) => p.conversations < 0)) {
      await sql`delete from flow_paths where dataset_id = ${datasetId} and conversations = 0`.execute(db);
    }
    await sql`delete from flow_nodes where dataset_id = ${datasetId} and steps = 0`.execute(db);
    await sql`delete from flow_links where dataset_id = ${datasetId} and transitions = 0`.execute(db);
  }
}

/** Removes a dataset's flow rollups (dataset deletion, or before its rebuild). */
export async function deleteDatasetFlows(db: Kysely<any>, datasetId: number): Promise<void> {
  for (const table of FLOW_TABLES) await db.deleteFrom(table).where('dataset_id', '=', datasetId).execute();
}

/**
 * Builds the flow rollups of one dataset (every dataset when undefined) from its conversation
 * rollups, which must be current; the dataset must have no flow rollups yet.
 */
export async function buildFlows(db: Kysely<any>, datasetId?: number): Promise<void> {
  const inDataset = datasetId === undefined ? sql`1 = 1` : sql`cr.dataset_id = ${datasetId}`;
  // Counted here rather than by a GROUP BY, which sorts every path text in a temporary b-tree.
  const { rows } = await sql<{ d: number; path: string }>`
    select cr.dataset_id as d, cr.path as path from conversation_rollups cr
    where ${inDataset} and cr.path is not null`.execute(db);
  const counts = new Map<number, Map<string, number>>();
  for (const r of rows) {
    const d = Number(r.d);
    let paths = counts.get(d);
    if (!paths) counts.set(d, (paths = new Map()));
    paths.set(r.path, (paths.get(r.path) ?? 0) + 1);
  }
  const deltas = new Map<number, FlowDelta>();
  for (const [d, paths] of counts) for (const [path, n] of paths) addPath(deltas, d, path, n);
  await applyFlowDeltas(db, deltas);
}

/** Moves flow counts from the conversations' old paths to their new ones (unchanged paths cancel). */
export async function moveFlowPaths(
  db: Kysely<any>,
  before: Array<{ d: number; path: string }>,
  after: Array<{ d: number; path: string }>,
): Promise<void> {
  const deltas = new Map<number, FlowDelta>();
  for (const r of before) addPath(deltas, Number(r.d), r.path, -1);
  for (const r of after) addPath(deltas, Number(r.d), r.path, 1);
  await applyFlowDeltas(db, deltas);
}

/**
 * The flow figures of one dataset (of all when undefined) from the rollups: the fold of every path,
 * and the paths that can be among the `top` most common — every path with at least the `top`-th
 * largest count, so the caller's tie-break (by name, in JavaScript, as for the raw answer) decides.
 */
export async function readFlowRollups(
  db: Kysely<any>,
  datasetId: number | undefined,
  top: number,
): Promise<{ fold: PathFold; paths: Array<{ path: string; count: number }> }> {
  // One dataset's rows are already its figures; across datasets they are summed.
  const fold = emptyFold();
  const nodes = await (
    datasetId === undefined
      ? sql<FlowCounts & { intent: string }>`select n.intent as intent, sum(n.steps) as steps,
        sum(n.entries) as entries, sum(n.exits) as exits from flow_nodes n
        where ${visibleDataset(sql.ref('n.dataset_id'))} group by n.intent`
      : sql<FlowCounts & { intent: string }>`select n.intent as intent, n.steps as steps, n.entries as entries,
        n.exits as exits from flow_nodes n where n.dataset_id = ${datasetId}`
  ).execute(db);
  for (const r of nodes.rows) {
    fold.nodes.set(r.intent, { steps: num(r.steps), entries: num(r.entries), exits: num(r.exits) });
  }
  const links = await (
    datasetId === undefined
      ? sql<{ source: string; target: string; n: number }>`select l.source as source, l.target as target,
        sum(l.transitions) as n from flow_links l
        where ${visibleDataset(sql.ref('l.dataset_id'))} group by l.source, l.target`
      : sql<{ source: string; target: string; n: number }>`select l.source as source, l.target as target,
        l.transitions as n from flow_links l where l.dataset_id = ${datasetId}`
  ).execute(db);
  for (const r of links.rows) {
    fold.links.set(`${r.source}\u0000${r.target}`, { source: r.source, target: r.target, count: num(r.n) });
  }
  if (top <= 0) return { fold, paths: [] };
  if (datasetId === undefined) {
    // Across datasets a path's count is a sum: group them all (not the dashboard's usual question).
    const { rows } = await sql<{ path: string; n: number }>`
      select p.path as path, sum(p.conversations) as n from flow_paths p
      where ${visibleDataset(sql.ref('p.dataset_id'))} group by p.path`.execute(db);
    return { fold, paths: rows.map((r) => ({ path: r.path, count: num(r.n) })) };
  }
  // The top-th largest count, read down the (dataset_id, conversations) index.
  const nth = await sql<{ n: number }>`
    select p.conversations as n from flow_paths p where p.dataset_id = ${datasetId}
    order by p.conversations desc limit 1 offset ${top - 1}`.execute(db);
  const least = nth.rows.length === 0 ? 1 : num(nth.rows[0]!.n);
  const { rows } = await sql<{ path: string; n: number }>`
    select p.path as path, p.conversations as n from flow_paths p
    where p.dataset_id = ${datasetId} and p.conversations >= ${least}`.execute(db);
  return { fold, paths: rows.map((r) => ({ path: r.path, count: num(r.n) })) };
}
