import { describeFilters, runAnalytics, type AnalyticsFilters } from '../analytics/index.js';
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import {
  fallbackByIntentOption,
  fallbackSeriesOption,
  flowsSankeyOption,
  intentsBarOption,
  intentsSeriesOption,
  sentimentByIntentOption,
  sentimentSeriesOption,
  sessionsHistogramOption,
  sessionsPerPeriodOption,
} from './chart-options.js';
import { renderPng } from './charts.js';
import type { Row } from './csv.js';
import { PdfReport } from './pdf.js';
import { analyticsTables } from './tables.js';

/** Everything a dataset report shows, computed once (the PDF is a rendering of this). */
export async function datasetReportData(lab: LabContext, filters: AnalyticsFilters) {
  if (filters.datasetId === undefined) {
    throw new ValidationError('a dataset report needs a dataset', [{ field: 'dataset', problem: 'is required' }]);
  }
  const dataset = await lab.db.kysely
    .selectFrom('datasets')
    .selectAll()
    .where('id', '=', filters.datasetId)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  if (!dataset) throw new NotFoundError('dataset', filters.datasetId);
  return {
    dataset,
    overview: await runAnalytics(lab, 'overview', filters),
    intents: await runAnalytics(lab, 'intents', filters, { top: 15 }),
    allIntents: await runAnalytics(lab, 'intents', filters, { top: 1000 }),
    flows: await runAnalytics(lab, 'flows', filters, { top: 10 }),
    fallback: await runAnalytics(lab, 'fallback', filters, { limit: 10 }),
    sessions: await runAnalytics(lab, 'sessions', filters),
    sentiment: await runAnalytics(lab, 'sentiment', filters, { limit: 10 }),
  };
}

/** One row per intent joining the distribution, fallback, sentiment and flow figures. */
export function perIntentRows(data: Awaited<ReturnType<typeof datasetReportData>>): Row[] {
  const fallback = new Map(data.fallback.by_intent.map((r) => [r.intent, r]));
  const sentiment = new Map(data.sentiment.by_intent.map((r) => [r.intent, r]));
  const nodes = new Map(data.flows.nodes.map((n) => [n.name, n]));
  return data.allIntents.intents.map((i) => ({
    intent: i.intent,
    turns: i.count,
    share: i.share,
    fallback_share: fallback.get(i.intent)?.share ?? null,
    mean_confidence: fallback.get(i.intent)?.mean_confidence ?? null,
    sentiment: sentiment.get(i.intent)?.mean ?? null,
    entries: nodes.get(i.intent)?.entries ?? 0,
    exits: nodes.get(i.intent)?.exits ?? 0,
  }));
}

/**
 * The dataset PDF: title, filters used, summary tables, the dashboard's charts (ECharts rendered
 * on the server) and per-intent tables.
 */
export async function datasetReportPdf(lab: LabContext, filters: AnalyticsFilters): Promise<Buffer> {
  const data = await datasetReportData(lab, filters);
  const { dataset } = data;
  const pdf = new PdfReport(`Dataset report: ${dataset.name}`);
  pdf.title(
    `Dataset report: ${dataset.name} (v${dataset.version})`,
    `Generated ${new Date().toISOString()} by Chatbot Analytics Lab`,
  );

  pdf.heading('Filters');
  pdf.table(
    Object.entries(describeFilters(filters)).map(([filter, value]) => ({ filter, value: value ?? '(all)' })),
    ['filter', 'value'],
  );

  pdf.heading('Summary');
  pdf.table(analyticsTables('overview', data.overview).summary!, ['metric', 'value']);

  pdf.heading('Intent distribution');
  if (data.intents.intents.length > 0) pdf.image(renderPng(intentsBarOption(data.intents), 800, 450), 450 / 800);
  if (data.intents.series.length > 1) pdf.image(renderPng(intentsSeriesOption(data.intents)));
  pdf.table(analyticsTables('intents', data.intents).intents!, undefined, {
    caption: `Top ${data.intents.top} intents of ${data.intents.total} labelled user turns; ${data.intents.unlabelled} unlabelled`,
  });

  pdf.heading('Conversation flows');
  if (data.flows.links.length > 0) pdf.image(renderPng(flowsSankeyOption(data.flows), 800, 500), 500 / 800);
  const flowTables = analyticsTables('flows', data.flows);
  pdf.table(flowTables.paths!, undefined, { caption: 'Most common paths (consecutive repeats collapsed)' });
  pdf.table(flowTables.entries!, undefined, { caption: 'Entry intents', maxRows: 10 });
  pdf.table(flowTables.exits!, undefined, { caption: 'Exit intents (drop-off)', maxRows: 10 });

  pdf.heading('Fallback and confidence');
  pdf.paragraph(
    `${data.fallback.fallback} of ${data.fallback.turns} user turns are fallback (share ${data.fallback.share}): ` +
      `confidence under ${data.fallback.threshold} or a label in ${data.fallback.fallback_labels.join(', ')}. ` +
      `${data.fallback.scored_turns} turns carry a prediction confidence.`,
  );
  if (data.fallback.series.length > 1) pdf.image(renderPng(fallbackSeriesOption(data.fallback)));
  if (data.fallback.fallback > 0) pdf.image(renderPng(fallbackByIntentOption(data.fallback)));
  pdf.table(
    data.fallback.lowest_confidence.map((r) => ({
      conversation: r.conversation,
      text: r.text,
      intent: r.intent,
      predicted: r.predicted_intent,
      confidence: r.confidence,
    })),
    undefined,
    { caption: 'Lowest-confidence user turns' },
  );

  pdf.heading('Sessions');
  if (data.sessions.length_histogram.length > 0) pdf.image(renderPng(sessionsHistogramOption(data.sessions)));
  if (data.sessions.per_period.length > 1) pdf.image(renderPng(sessionsPerPeriodOption(data.sessions)));
  pdf.table(analyticsTables('sessions', data.sessions).per_period!, undefined, {
    caption: `Conversations per ${filters.granularity}`,
    maxRows: 40,
  });

  pdf.heading('Sentiment');
  const s = data.sentiment.overall;
  pdf.paragraph(
    `${s.turns} scored turns, mean VADER compound ${s.mean ?? 'n/a'}; ` +
      `negative ${s.negative}, neutral ${s.neutral}, positive ${s.positive}.`,
  );
  if (data.sentiment.series.length > 1) pdf.image(renderPng(sentimentSeriesOption(data.sentiment)));
  if (data.sentiment.by_intent.length > 0) pdf.image(renderPng(sentimentByIntentOption(data.sentiment)));
  pdf.table(analyticsTables('sentiment', data.sentiment).most_negative!, undefined, {
    caption: 'Most negative conversations',
  });

  pdf.heading('Per-intent table');
  pdf.table(perIntentRows(data));
  return pdf.end();
}
