import { dict } from '../../core/dict.js';
import path from 'node:path';
import { Document, isMap, isScalar, isSeq, Scalar, type Node } from 'yaml';
import { fileError } from '../files.js';
import type { LoadedRecord, ValidationFinding } from '../types.js';
import { readBundle, walk, parseYaml, type BundleFile } from './bundle.js';
import { parseAnnotated, renderAnnotated } from './entities.js';
import { byLabel, objectAt, type FormatWriter } from './export-types.js';
import { kindOf, missing } from './locate.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected Rasa NLU training data: a YAML file (version: "3.1", nlu: with - intent: name / examples: | lists) ' +
  'or a folder or .zip of them (files without an nlu: section, such as stories or rules, are skipped), or the older ' +
  'Markdown format (## intent:name followed by - example lines); see https://rasa.com/docs/rasa/training-data-format';

const NLU_FILE = /\.(ya?ml|md)$/i;
/** Sections that describe the dataset rather than give examples: kept as dataset metadata. */
const SECTIONS = ['synonym', 'regex', 'lookup'] as const;
type Section = (typeof SECTIONS)[number];

interface RasaSection {
  name: string;
  examples: string[];
}
interface Collected {
  records: LoadedRecord[];
  sections: Record<Section, RasaSection[]>;
  empty: string[];
}

/**
 * Rasa NLU (YAML and the older Markdown). Every example is in split `train` (Rasa has no splits);
 * entity annotations are stripped from the text and kept as `metadata.entities`.
 */
export const rasaLoader: Loader = {
  type: 'rasa',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) === 'file') return [p];
    const files = walk(p, (rel) => NLU_FILE.test(rel));
    if (files.length === 0) throw missing(path.join(p, '*.yml'), LAYOUT);
    return files;
  },
  async *read({ path: root, files, onBytes }) {
    // A zipped project holds other files too (actions, models): only NLU candidates are read.
    const bundle = (await readBundle(root, files, onBytes)).filter((f) => NLU_FILE.test(f.rel));
    const c: Collected = { records: [], sections: { synonym: [], regex: [], lookup: [] }, empty: [] };
    let nluFiles = 0;
    for (const file of bundle) {
      const only = bundle.length === 1;
      const read = /\.md$/i.test(file.rel) ? readMarkdown(file, c, only) : readYaml(file, c, only);
      if (read) nluFiles++;
    }
    if (nluFiles === 0) throw fileError(root, `no file has an nlu: section; ${LAYOUT}`);
    const metadata = SECTIONS.some((s) => c.sections[s].length > 0) ? { rasa: c.sections } : undefined;
    // An intent may be split over several files: it is empty only if no file gave it an example.
    const labelled = new Set(c.records.map((r) => (r.kind === 'example' ? r.label : null)));
    const empty = [...new Set(c.empty)].filter((name) => !labelled.has(name));
    yield [{ kind: 'dataset', metadata, findings: emptyIntentFindings(empty) }, ...c.records];
  },
};

export function emptyIntentFindings(names: string[]): ValidationFinding[] {
  if (names.length === 0) return [];
  return [
    {
      id: 'intent_without_examples',
      severity: 'warning',
      message: `${names.length} intent(s) in the import have no examples (kept out of the dataset)`,
      count: names.length,
      examples: names.slice(0, 20).map((intent) => ({ intent })),
    },
  ];
}

/** Returns false for a YAML file without an nlu: section (domain, stories, rules) in a folder. */
function readYaml(file: BundleFile, c: Collected, only: boolean): boolean {
  const { doc, line } = parseYaml(file.shown, file.text);
  const root = doc.contents;
  const at = (node: Node | null | undefined) => (node?.range ? line(node.range[0]) : undefined);
  if (!isMap(root) || !root.has('nlu')) {
    if (only) throw fileError(file.shown, `has no nlu: section; ${LAYOUT}`);
    return false;
  }
  const nlu = root.get('nlu', true) as Node | undefined;
  if (!isSeq(nlu)) throw fileError(file.shown, 'nlu: must be a list of - intent: entries', at(nlu));
  for (const item of nlu.items as Node[]) {
    if (!isMap(item)) throw fileError(file.shown, 'each nlu: entry must be a mapping (- intent: name)', at(item));
    const kind = (['intent', ...SECTIONS] as const).find((k) => item.has(k));
    if (!kind) {
      throw fileError(file.shown, 'nlu: entry has none of intent:, synonym:, regex:, lookup:', at(item));
    }
    const name = String((item.get(kind, true) as Scalar | undefined)?.value ?? '').trim();
    if (name === '') throw fileError(file.shown, `${kind}: needs a name`, at(item));
    const examplesNode = item.get('examples', true) as Node | undefined;
    const examples = yamlExamples(file, examplesNode, at);
    if (kind !== 'intent') {
      c.sections[kind].push({ name, examples: examples.map((e) => e.text) });
      continue;
    }
    if (examples.length === 0) c.empty.push(name);
    for (const e of examples) c.records.push(example(file, e.text, name, e.line, e.metadata));
  }
  return true;
}

interface RawExample {
  text: string;
  line?: number;
  metadata?: unknown;
}

/** `examples: |` with `- text` lines, or a list of `- text: …` (with optional metadata) entries. */
function yamlExamples(
  file: BundleFile,
  node: Node | undefined,
  at: (n: Node | null | undefined) => number | undefined,
): RawExample[] {
  if (node === undefined || (isScalar(node) && (node.value === null || node.value === ''))) return [];
  if (isScalar(node) && typeof node.value === 'string') {
    // Block scalars start on the line after their indicator.
    const first = (at(node) ?? 0) + (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? 1 : 0);
    return listLines(file, node.value, first);
  }
  if (isSeq(node)) {
    return (node.items as Node[]).map((item) => {
      const value = isMap(item) ? item.toJSON() : isScalar(item) ? { text: item.value } : undefined;
      const v = value as { text?: unknown; metadata?: unknown } | undefined;
      if (!v || typeof v.text !== 'string') throw fileError(file.shown, 'each example needs a text', at(item));
      return { text: v.text.replace(/\n$/, ''), line: at(item), metadata: v.metadata };
    });
  }
  throw fileError(file.shown, 'examples: must be a | block of "- example" lines or a list', at(node));
}

function listLines(file: BundleFile, block: string, firstLine: number): RawExample[] {
  const out: RawExample[] = [];
  block.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^[-*+]\s+(.*)$/.exec(line);
    if (!m)
      throw fileError(file.shown, `example lines must start with "- " (found ${JSON.stringify(line)})`, firstLine + i);
    out.push({ text: m[1]!, line: firstLine + i });
  });
  return out;
}

function example(file: BundleFile, raw: string, label: string, line: number | undefined, extra?: unknown) {
  const { text, entities } = parseAnnotated(raw, (problem) => fileError(file.shown, problem, line));
  const metadata: Record<string, unknown> = dict();
  if (entities.length > 0) metadata.entities = entities;
  if (extra !== undefined && extra !== null) metadata.rasa_metadata = extra;
  return {
    kind: 'example' as const,
    split: 'train',
    text,
    label,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

const MARKDOWN_HEADER = /^##\s*(intent|synonym|regex|lookup):\s*(.+)$/;

/**
 * Rasa 1.x Markdown NLU: `## intent:name` (or synonym:, regex:, lookup:) headers and `- ` lists.
 * In a folder, a Markdown file without such a header (a README) is skipped.
 */
function readMarkdown(file: BundleFile, c: Collected, only: boolean): boolean {
  if (!only && !file.text.split('\n').some((l) => MARKDOWN_HEADER.test(l.trim()))) return false;
  let current: { kind: 'intent' | Section; name: string; count: number } | undefined;
  const close = () => {
    if (current?.kind === 'intent' && current.count === 0) c.empty.push(current.name);
  };
  let comment = false;
  file.text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    let line = raw.trim();
    if (comment || line.startsWith('<!--')) {
      comment = !line.includes('-->');
      return;
    }
    if (line === '') return;
    const header = MARKDOWN_HEADER.exec(line);
    if (header) {
      close();
      const kind = header[1] as 'intent' | Section;
      current = { kind, name: header[2]!.trim(), count: 0 };
      if (kind !== 'intent') c.sections[kind].push({ name: current.name, examples: [] });
      return;
    }
    if (line.startsWith('#')) throw fileError(file.shown, `unknown section ${JSON.stringify(line)}; ${LAYOUT}`, lineNo);
    const item = /^[-*+]\s+(.*)$/.exec(line);
    if (!item || !current) {
      throw fileError(
        file.shown,
        `expected "- example" under a "## intent:name" header (found ${JSON.stringify(line)})`,
        lineNo,
      );
    }
    line = item[1]!;
    current.count++;
    if (current.kind === 'intent') c.records.push(example(file, line, current.name, lineNo));
    else c.sections[current.kind].at(-1)!.examples.push(line);
  });
  close();
  return true;
}

function block(lines: string[]): Scalar {
  const s = new Scalar(`${lines.map((l) => `- ${l}`).join('\n')}\n`);
  s.type = 'BLOCK_LITERAL';
  return s;
}

/** Rasa 3.x YAML: intents in label order, then the synonym/regex/lookup sections an import kept. */
export const rasaWriter: FormatWriter = {
  format: 'rasa',
  extension: 'yml',
  contentType: 'application/yaml; charset=utf-8',
  write({ examples, metadata }) {
    const nlu: unknown[] = [];
    for (const [label, list] of byLabel(examples)) {
      // One example per line: a newline inside a text would start a new example.
      nlu.push({
        intent: label,
        examples: block(list.map((e) => renderAnnotated(e.text, e.metadata).replace(/\s*\n\s*/g, ' '))),
      });
    }
    const kept = objectAt(metadata, 'rasa');
    for (const kind of SECTIONS) {
      const list = kept?.[kind];
      if (!Array.isArray(list)) continue;
      for (const s of list as RasaSection[]) {
        if (typeof s?.name !== 'string' || !Array.isArray(s.examples)) continue;
        nlu.push({ [kind]: s.name, examples: block(s.examples.map(String)) });
      }
    }
    const doc = new Document({ version: '3.1', nlu });
    return new TextEncoder().encode(doc.toString({ lineWidth: 0, indentSeq: false }));
  },
};
