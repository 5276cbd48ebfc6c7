/**
 * The model registry: numbered versions of the intent classifier, each pointing at an artifact
 * folder, and named aliases (`production`, `staging`, anything) that point at one version.
 */
import type { LabContext } from '../lab/context.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Kysely } from 'kysely';
import type { Database, ModelVersion } from '../db/schema.js';

/** One model name for the lab's intent classifier; `name:version` refs allow others later. */
export const DEFAULT_MODEL_NAME = 'intent-classifier';

export interface ModelVersionView {
  id: number;
  name: string;
  version: number;
  run_id: number | null;
  model_type: string;
  path: string;
  labels: string[];
  metrics: Record<string, unknown> | null;
  threshold: number;
  description: string | null;
  created_at: string;
  aliases: string[];
}

function view(row: ModelVersion, aliases: string[]): ModelVersionView {
  const metrics = row.metrics ? (JSON.parse(row.metrics) as Record<string, unknown>) : null;
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    run_id: row.run_id,
    model_type: row.model_type,
    path: row.path,
    labels: JSON.parse(row.labels) as string[],
    metrics,
    threshold: typeof metrics?.threshold === 'number' ? metrics.threshold : 0,
    description: row.description,
    created_at: row.created_at,
    aliases: aliases.sort(),
  };
}

export async function nextVersion(db: Kysely<Database>, name: string): Promise<number> {
  const row = await db
    .selectFrom('model_versions')
    .select((eb) => eb.fn.max('version').as('max'))
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(row?.max ?? 0) + 1;
}

export interface NewModelVersion {
  name?: string;
  version: number;
  runId: number;
  modelType: string;
  path: string;
  labels: string[];
  metrics: Record<string, unknown>;
  description?: string;
}

export async function insertModelVersion(db: Kysely<Database>, v: NewModelVersion): Promise<number> {
  const row = await db
    .insertInto('model_versions')
    .values({
      name: v.name ?? DEFAULT_MODEL_NAME,
      version: v.version,
      run_id: v.runId,
      model_type: v.modelType,
      path: v.path,
      labels: JSON.stringify(v.labels),
      metrics: JSON.stringify(v.metrics),
      description: v.description ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function aliasMap(lab: LabContext): Promise<Map<number, string[]>> {
  const rows = await lab.db.kysely.selectFrom('model_aliases').selectAll().execute();
  const map = new Map<number, string[]>();
  for (const r of rows) map.set(r.model_version_id, [...(map.get(r.model_version_id) ?? []), r.alias]);
  return map;
}

export async function listModels(lab: LabContext): Promise<ModelVersionView[]> {
  const [rows, aliases] = await Promise.all([
    lab.db.kysely.selectFrom('model_versions').selectAll().orderBy('name').orderBy('version', 'desc').execute(),
    aliasMap(lab),
  ]);
  return rows.map((r) => view(r, aliases.get(r.id) ?? []));
}

export async function listAliases(lab: LabContext): Promise<string[]> {
  const rows = await lab.db.kysely.selectFrom('model_aliases').select('alias').orderBy('alias').execute();
  return rows.map((r) => r.alias);
}

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

export function validateAlias(alias: string, field = 'alias'): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new ValidationError(`alias "${alias}" is not valid: use a letter then letters, digits, _ . - (max 64)`, [
      { field, problem: 'must match ^[A-Za-z][A-Za-z0-9_.-]{0,63}$' },
    ]);
  }
  return alias;
}

/**
 * Resolves a model reference: an alias (`production`), a version number (`3`, of the default
 * model name) or `name:version`. A missing model is a 404 that lists what exists.
 */
export async function resolveModel(lab: LabContext, ref: string | number = 'production'): Promise<ModelVersionView> {
  const db = lab.db.kysely;
  const text = String(ref).trim();
  let row: ModelVersion | undefined;
  const named = /^(.+):(\d+)$/.exec(text);
  if (/^\d+$/.test(text)) {
    row = await db
      .selectFrom('model_versions')
      .selectAll()
      .where('name', '=', DEFAULT_MODEL_NAME)
      .where('version', '=', Number(text))
      .executeTakeFirst();
  } else if (named) {
    row = await db
      .selectFrom('model_versions')
      .selectAll()
      .where('name', '=', named[1]!)
      .where('version', '=', Number(named[2]))
      .executeTakeFirst();
  } else {
    row = await db
      .selectFrom('model_aliases')
      .innerJoin('model_versions', 'model_versions.id', 'model_aliases.model_version_id')
      .selectAll('model_versions')
      .where('model_aliases.alias', '=', text)
      .executeTakeFirst();
  }
  if (!row) {
    const [aliases, versions] = await Promise.all([
      listAliases(lab),
      db.selectFrom('model_versions').select(['name', 'version']).orderBy('version').execute(),
    ]);
    const hint =
      versions.length === 0
        ? 'no model is registered yet: train one with `chatlab train` or POST /training/run'
        : `available aliases: ${aliases.join(', ') || '(none)'}; versions: ${versions.map((v) => v.version).join(', ')}`;
    throw new AppError('NOT_FOUND', `model ${JSON.stringify(text)} was not found; ${hint}`, 404, [
      { field: 'model', problem: hint, available_aliases: aliases, available_versions: versions.map((v) => v.version) },
    ]);
  }
  const aliases = await aliasMap(lab);
  return view(row, aliases.get(row.id) ?? []);
}

/**
 * Points `alias` at the version with row id `modelVersionId` (moving it if it pointed elsewhere),
 * in one statement: two writers racing on the same alias both succeed and the last one wins,
 * where a delete-then-insert would make one fail on the primary key.
 */
export async function pointAlias(db: Kysely<Database>, modelVersionId: number, alias: string): Promise<void> {
  const updatedAt = new Date().toISOString();
  await db
    .insertInto('model_aliases')
    .values({ alias, model_version_id: modelVersionId, updated_at: updatedAt })
    .onConflict((oc) => oc.column('alias').doUpdateSet({ model_version_id: modelVersionId, updated_at: updatedAt }))
    .execute();
}

/** Points `alias` at a version (moving it if it pointed elsewhere). */
export async function setAlias(lab: LabContext, ref: string | number, alias: string): Promise<ModelVersionView> {
  validateAlias(alias);
  const model = await resolveModel(lab, ref);
  await pointAlias(lab.db.kysely, model.id, alias);
  return resolveModel(lab, `${model.name}:${model.version}`);
}

/** Removes an alias from a version; 404 when the version does not carry it. */
export async function removeAlias(lab: LabContext, ref: string | number, alias: string): Promise<ModelVersionView> {
  const model = await resolveModel(lab, ref);
  const result = await lab.db.kysely
    .deleteFrom('model_aliases')
    .where('alias', '=', alias)
    .where('model_version_id', '=', model.id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new NotFoundError(`alias on model version ${model.version}`, alias, [
      { field: 'alias', problem: `version ${model.version} has aliases: ${model.aliases.join(', ') || '(none)'}` },
    ]);
  }
  return resolveModel(lab, `${model.name}:${model.version}`);
}
