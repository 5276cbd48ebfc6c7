import { Option, type Command } from 'commander';
import { AppError } from '../../core/errors.js';
import type { DatasetView, IngestRequest } from '../../datasets/types.js';
import { idOption, PAGE_LIMIT } from '../options.js';
import { output, table, withLab } from '../output.js';

const DATASET_TYPES = ['banking77', 'bitext', 'sgd', 'csv', 'jsonl', 'rasa', 'dialogflow', 'lex', 'rasa-tracker'];
const EXPORT_FORMATS = ['rasa', 'dialogflow', 'lex', 'csv', 'jsonl'];

interface IngestOptions {
  type: IngestRequest['type'];
  path: string;
  name?: string;
  newVersion?: boolean;
  textCol?: string;
  labelCol?: string;
  conversationCol?: string;
  speakerCol?: string;
  timestampCol?: string;
  splitCol?: string;
  preprocess: boolean;
  nfkc: boolean;
  collapseWhitespace: boolean;
  trim: boolean;
  lowercase?: boolean;
  dropEmpty?: boolean;
  language?: string;
  json?: boolean;
}

function datasetLine(d: DatasetView): string {
  const splits = Object.entries(d.split_counts)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return [
    `Dataset ${d.id}: ${d.name} v${d.version} (${d.type})`,
    `  examples: ${d.example_count}${splits ? ` (${splits})` : ''}, labels: ${d.label_count}`,
    `  conversations: ${d.conversation_count}, turns: ${d.turn_count}`,
    `  source: ${d.source}`,
  ].join('\n');
}

/** A progress bar on a terminal only (rows/s and ETA from bytes read); nothing when piped. */
export async function progressBar() {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: 'ingesting [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  let started = false;
  return {
    update(p: { rows: number; bytesRead?: number; totalBytes?: number }) {
      const total = p.totalBytes ?? 1;
      if (!started) {
        bar.start(total, 0, { rows: 0, rate: 0 });
        started = true;
      }
      const rate = Math.round(p.rows / Math.max((Date.now() - start) / 1000, 0.001));
      bar.update(Math.min(p.bytesRead ?? 0, total), { rows: p.rows, rate });
    },
    stop: () => {
      if (!started) return;
      // Files read whole (categories.json, schema.json) are not streamed: finish at 100 %.
      bar.update(bar.getTotal());
      bar.stop();
    },
  };
}

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('ingest, inspect, validate and delete datasets');

  datasets
    .command('ingest')
    .description(
      'load a dataset in its publisher layout into the lab (all or nothing: commits in chunks, hidden until complete; identical content is not stored twice)',
    )
    .addOption(new Option('--type <type>', 'dataset layout').choices(DATASET_TYPES).makeOptionMandatory())
    .requiredOption('--path <path>', 'file or folder (relative to the working directory)')
    .option('--name <name>', 'dataset name (default: the file or folder name)')
    .option('--new-version', 'store version n+1 even when identical content exists')
    .option('--text-col <name>', 'csv/jsonl: text column (default text)')
    .option('--label-col <name>', 'csv/jsonl: label column (default label, else intent)')
    .option('--conversation-col <name>', 'csv/jsonl: conversation id column (default conversation_id)')
    .option('--speaker-col <name>', 'csv/jsonl: speaker column (default speaker)')
    .option('--timestamp-col <name>', 'csv/jsonl: timestamp column, ISO 8601 or epoch (default timestamp)')
    .option('--split-col <name>', 'csv/jsonl: split column (default split; rows without one are train)')
    .option('--language <code>', "dialogflow: training-phrase language (default the agent's); lex: locale, e.g. en_US")
    .option('--no-preprocess', 'store the training text exactly as given (no NFKC, whitespace collapse or trim)')
    .option('--no-nfkc', 'skip Unicode NFKC normalisation')
    .option('--no-collapse-whitespace', 'keep runs of whitespace')
    .option('--no-trim', 'keep leading and trailing whitespace')
    .option('--lowercase', 'lower-case the training text')
    .option('--drop-empty', 'drop rows whose text is empty after preprocessing')
    .option('--json', 'machine-readable output')
    .action(async (o: IngestOptions) => {
      const { ingestDataset } = await import('../../datasets/ingest.js');
      const { getDatasetSummary } = await import('../../datasets/summary.js');
      const mapping = Object.fromEntries(
        Object.entries({
          text: o.textCol,
          label: o.labelCol,
          conversation: o.conversationCol,
          speaker: o.speakerCol,
          timestamp: o.timestampCol,
          split: o.splitCol,
        }).filter(([, v]) => v !== undefined),
      );
      const on = o.preprocess;
      const preprocess = {
        nfkc: on && o.nfkc,
        collapseWhitespace: on && o.collapseWhitespace,
        trim: on && o.trim,
        lowercase: on && !!o.lowercase,
        dropEmpty: !!o.dropEmpty,
      };
      const bar = await progressBar();
      const started = performance.now();
      const result = await withLab(async (lab) => {
        try {
          const r = await ingestDataset(
            lab,
            {
              type: o.type,
              path: o.path,
              name: o.name,
              newVersion: !!o.newVersion,
              mapping,
              preprocess,
              ...(o.language ? { language: o.language } : {}),
              withSummary: true,
            },
            (p) => bar.update(p),
          );
          return { ...r, summary: r.summary ?? (await getDatasetSummary(lab, r.dataset.id)) };
        } finally {
          bar.stop();
        }
      });
      const seconds = (performance.now() - started) / 1000;
      output({ created: result.created, dataset: result.dataset, summary: result.summary }, o, (r) => {
        const v = r.summary.validation;
        return [
          r.created
            ? `Ingested in ${seconds.toFixed(1)} s.`
            : 'Identical content already stored; nothing ingested (use --new-version to store it again).',
          datasetLine(r.dataset),
          v
            ? `  validation: ${v.errors} error(s), ${v.warnings} warning(s); see: chatlab datasets validate ${r.dataset.id}`
            : '',
        ]
          .filter(Boolean)
          .join('\n');
      });
    });

  datasets
    .command('list')
    .description('list datasets (every version)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const { listDatasets } = await import('../../datasets/repository.js');
      const items = await withLab((lab) => listDatasets(lab));
      output(items, o, (rows) =>
        table(
          rows.map((d) => ({
            id: d.id,
            name: d.name,
            version: d.version,
            type: d.type,
            examples: d.example_count,
            labels: d.label_count,
            conversations: d.conversation_count,
            turns: d.turn_count,
            created_at: d.created_at,
          })),
        ),
      );
    });

  datasets
    .command('show <id>')
    .description('a dataset with its summary (id, name, or name@version)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      const { getDatasetSummary } = await import('../../datasets/summary.js');
      const summary = await withLab((lab) => getDatasetSummary(lab, id));
      output(summary, o, (s) =>
        [
          datasetLine(s.dataset),
          `  text length: mean ${s.text_length.mean ?? '-'}, max ${s.text_length.max ?? '-'} characters`,
          s.conversations.count > 0 ? `  speakers: ${JSON.stringify(s.conversations.speakers)}` : '',
          s.validation ? `  validation: ${s.validation.errors} error(s), ${s.validation.warnings} warning(s)` : '',
          '',
          table(s.labels.slice(0, 20).map((l) => ({ label: l.label, total: l.total, ...l.by_split }))),
          s.labels.length > 20 ? `(${s.labels.length - 20} more labels; --json for all)` : '',
        ]
          .filter((line) => line !== '')
          .join('\n'),
      );
    });

  datasets
    .command('validate <id>')
    .description('recompute the validation report; exits 1 with --fail-on-warnings when any warning or error exists')
    .option('--fail-on-warnings', 'exit non-zero when the report has any warning or error (for CI pipelines)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean; failOnWarnings?: boolean }) => {
      const { validateDataset } = await import('../../datasets/validation.js');
      const report = await withLab((lab) => validateDataset(lab, id));
      output(report, o, (r) =>
        [
          `Dataset ${r.dataset_id}: ${r.summary.errors} error(s), ${r.summary.warnings} warning(s), ${r.summary.info} info`,
          table(
            r.findings.map((f) => ({
              severity: f.severity,
              finding: f.id,
              split: f.split ?? '',
              count: f.count,
              message: f.message,
            })),
          ),
        ].join('\n'),
      );
      if (o.failOnWarnings && report.summary.errors + report.summary.warnings > 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          `dataset ${report.dataset_id} has ${report.summary.errors} error(s) and ${report.summary.warnings} warning(s) (--fail-on-warnings)`,
        );
      }
    });

  datasets
    .command('examples <id>')
    .description('browse examples of a dataset')
    .option('--split <split>', 'only this split')
    .option('--label <label>', 'only this label')
    .option('--q <text>', 'texts containing this (case-insensitive)')
    .option('--limit <n>', 'rows per page (1-1000)', PAGE_LIMIT, 20)
    .option('--cursor <cursor>', 'next page (the next_cursor printed before)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        id: string,
        o: { split?: string; label?: string; q?: string; limit: number; cursor?: string; json?: boolean },
      ) => {
        const { listExamples } = await import('../../datasets/repository.js');
        const page = await withLab((lab) => listExamples(lab, id, o));
        output(page, o, (p) =>
          [
            table(p.items.map((e) => ({ id: e.id, split: e.split, label: e.label, text: e.text }))),
            p.next_cursor ? `next page: --cursor ${p.next_cursor}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      },
    );

  datasets
    .command('export <id>')
    .description(
      'write a dataset version (id, name, or name@version) as Rasa YAML, a Dialogflow ES agent zip, a Lex V2 bot zip, CSV or JSONL',
    )
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--out <file>', 'where to write (default: <name>-v<version>-<format>.<ext> in the working directory)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { format: string; out?: string; json?: boolean }) => {
      const { exportDataset } = await import('../../datasets/export.js');
      const { writeFileSync } = await import('node:fs');
      const path = await import('node:path');
      const file = await withLab((lab) => exportDataset(lab, id, o.format));
      const out = path.resolve(o.out ?? file.filename);
      writeFileSync(out, file.bytes);
      const { bytes: _bytes, ...summary } = file;
      output({ ...summary, path: out, size_bytes: file.bytes.length }, o, (r) =>
        [
          `Exported ${r.examples} examples of ${r.dataset.name} v${r.dataset.version} as ${o.format} to ${r.path} (${r.size_bytes} bytes).`,
          r.skipped_unlabelled > 0
            ? `  ${r.skipped_unlabelled} unlabelled example(s) left out (no format can carry them).`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });

  datasets
    .command('delete <id>')
    .description('delete a dataset with its examples, conversations and turns')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      const { deleteDataset } = await import('../../datasets/repository.js');
      const deleted = await withLab((lab) => deleteDataset(lab, id));
      output({ deleted }, o, (r) => `Deleted dataset ${r.deleted.id} (${r.deleted.name} v${r.deleted.version}).`);
    });

  const conversations = program.command('conversations').description('browse conversation logs');

  conversations
    .command('list')
    .description('list conversations')
    .option('--dataset <id>', 'only this dataset id', idOption)
    .option('--intent <intent>', 'with a turn of this intent')
    .option('--speaker <speaker>', 'with a turn by this speaker')
    .option('--q <text>', 'with a turn containing this text')
    .option('--limit <n>', 'rows per page (1-1000)', PAGE_LIMIT, 20)
    .option('--cursor <cursor>', 'next page')
    .option('--json', 'machine-readable output')
    .action(
      async (o: {
        dataset?: number;
        intent?: string;
        speaker?: string;
        q?: string;
        limit: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const { listConversations } = await import('../../conversations/repository.js');
        const page = await withLab((lab) => listConversations(lab, { ...o, dataset_id: o.dataset }));
        output(page, o, (p) =>
          [
            table(
              p.items.map((c) => ({
                id: c.id,
                dataset: c.dataset_id,
                external_id: c.external_id,
                split: c.split,
                turns: c.turn_count,
              })),
            ),
            p.next_cursor ? `next page: --cursor ${p.next_cursor}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      },
    );

  conversations
    .command('show <id>')
    .description('a conversation with its turns in order')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      const { getConversation } = await import('../../conversations/repository.js');
      if (!/^\d+$/.test(id)) throw new AppError('VALIDATION_ERROR', `conversation id must be a number (got "${id}")`);
      const conversation = await withLab((lab) => getConversation(lab, Number(id)));
      output(conversation, o, (c) =>
        [
          `Conversation ${c.id} (${c.external_id}) in dataset ${c.dataset_id}: ${c.turn_count} turns`,
          ...c.turns.map((t) => {
            const when = t.ts !== null ? `${new Date(t.ts).toISOString()} ` : '';
            const intent = t.intent ? ` [${t.intent}]` : '';
            const mood = t.sentiment !== null ? ` (sentiment ${t.sentiment.toFixed(2)})` : '';
            return `${String(t.idx).padStart(3)} ${when}${t.speaker}: ${t.text}${intent}${mood}`;
          }),
        ].join('\n'),
      );
    });
}
