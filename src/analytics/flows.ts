import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { describeFilters, effectiveIntent, num, round, turnWhere, type AnalyticsFilters } from './filters.js';
import { conversationRollupsApply, conversationRollupWhere, PATH_SEPARATOR } from './rollups/index.js';
import type { FlowNode, FlowsResult } from '../api/contracts/analytics.js';
import { emptyFold, foldPath, readFlowRollups } from './rollups/flows.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { FlowLink, FlowNode, FlowsResult } from '../api/contracts/analytics.js';

/**
 * Flows between consecutive USER intents within a conversation (the speaker filter may change
 * that). The database does the heavy part in one pass: a window (LAG over the conversation, ordered
 * by turn index) collapses consecutive repeats into journey steps, each conversation's steps are
 * joined into a path, and identical paths are counted. Links, entries, exits and the top paths all
 * follow from those path counts (a link is a pair of consecutive steps; the entry is the first step,
 * the exit the last). Turns without an effective intent are skipped, so a transition joins the two
 * nearest labelled user turns. Without a time bound each conversation's path comes from its rollup,
 * and without an intent filter the whole fold is read from the flow rollups (./rollups/flows.ts).
 */
export async function flowAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { top?: number; raw?: boolean } = {},
): Promise<FlowsResult> {
  const top = options.top ?? 10;
  const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'conversation' });
  const eff = effectiveIntent('t');
  const agg =
    lab.db.dialect === 'postgres'
      ? sql`string_agg(intent, ${PATH_SEPARATOR} order by i)`
      : sql`group_concat(intent, ${PATH_SEPARATOR} order by i)`;
  // Each conversation's collapsed user path is kept in its rollup; time bounds or another speaker
  // cut paths differently and take the raw query. Without an intent filter the per-dataset flow
  // rollups already hold the fold of every path.
  const fromRollups = conversationRollupsApply(filters, options) && (filters.speaker ?? 'USER') === 'USER';
  let fold = emptyFold();
  let paths: Array<{ path: string; count: number }> = [];
  if (fromRollups && filters.intent === undefined) {
    ({ fold, paths } = await readFlowRollups(lab.db.kysely, filters.datasetId, top));
  } else {
    const { rows } = await (
      fromRollups
        ? sql<{ path: string; n: number }>`
    select cr.path as path, count(*) as n from conversation_rollups cr
    where ${conversationRollupWhere(filters, lab.db.dialect)} and cr.path is not null group by cr.path`
        : sql<{ path: string; n: number }>`
    with u as (
      select t.conversation_id as c, t.idx as i, ${eff} as intent from turns t where ${where} and ${eff} is not null
    ),
    s as (select c, i, intent, lag(intent) over (partition by c order by i) as prev from u),
    p as (select c, ${agg} as path from s where prev is null or prev <> intent group by c)
    select path, count(*) as n from p group by path`
    ).execute(lab.db.kysely);
    for (const r of rows) {
      const count = num(r.n);
      paths.push({ path: r.path, count });
      foldPath(fold, r.path, count);
    }
  }
  const nodes = [...fold.nodes].map(([name, n]): FlowNode => ({ name, ...n }));
  // Every conversation with a path enters it exactly once.
  const conversations = nodes.reduce((s, n) => s + n.entries, 0);

  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const share = (count: number) => (conversations === 0 ? 0 : round(count / conversations));
  const nodeList = nodes.sort((a, b) => b.steps - a.steps || byName(a.name, b.name));
  const linkList = [...fold.links.values()].sort(
    (a, b) => b.count - a.count || byName(a.source, b.source) || byName(a.target, b.target),
  );
  const ranked = (pick: (n: FlowNode) => number) =>
    nodeList
      .filter((n) => pick(n) > 0)
      .map((n) => ({ intent: n.name, count: pick(n), share: share(pick(n)) }))
      .sort((a, b) => b.count - a.count || byName(a.intent, b.intent));
  paths.sort((a, b) => b.count - a.count || byName(a.path, b.path));
  return {
    filters: describeFilters(filters),
    conversations,
    transitions: linkList.reduce((s, l) => s + l.count, 0),
    nodes: nodeList,
    links: linkList,
    entries: ranked((n) => n.entries),
    exits: ranked((n) => n.exits),
    paths: paths
      .slice(0, top)
      .map((p) => ({ path: p.path.split(PATH_SEPARATOR), count: p.count, share: share(p.count) })),
  };
}
