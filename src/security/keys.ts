import { createHash, randomBytes } from 'node:crypto';
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** viewer < editor < admin: a key may do what its role and every weaker role may do. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function parseRole(value: string, field = 'role'): Role {
  if (!(ROLES as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} must be one of ${ROLES.join(', ')} (got "${value}")`, [
      { field, problem: `must be one of ${ROLES.join(', ')}` },
    ]);
  }
  return value as Role;
}

/**
 * Keys are 32 random bytes, so a plain SHA-256 is enough to store them (no password stretching
 * needed: nothing to brute-force). The prefix identifies a key in lists without revealing it.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface ApiKeyInfo {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedKey extends ApiKeyInfo {
  /** The key itself: shown once, never stored. */
  key: string;
}

export async function createApiKey(lab: LabContext, options: { role: string; name?: string }): Promise<CreatedKey> {
  const role = parseRole(options.role);
  const name = (options.name ?? `${role} key`).trim();
  if (name.length === 0 || name.length > 100) {
    throw new ValidationError('name must be 1 to 100 characters', [
      { field: 'name', problem: 'must be 1 to 100 characters' },
    ]);
  }
  const key = `clk_${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, 12);
  const row = await lab.db.kysely
    .insertInto('api_keys')
    .values({ name, role, prefix, key_hash: hashKey(key), last_used_at: null, revoked_at: null })
    .returning(['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .executeTakeFirstOrThrow();
  return { ...row, key };
}

export async function listApiKeys(lab: LabContext, options: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
  let query = lab.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at']);
  if (!options.includeRevoked) query = query.where('revoked_at', 'is', null);
  return query.orderBy('id').execute();
}

/** Revokes by id or by prefix (as printed by `keys list`); revoking twice is harmless. */
export async function revokeApiKey(lab: LabContext, idOrPrefix: string | number): Promise<ApiKeyInfo> {
  const text = String(idOrPrefix).trim();
  const base = lab.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'prefix', 'created_at', 'last_used_at', 'revoked_at']);
  const row = /^\d+$/.test(text)
    ? await base.where('id', '=', Number(text)).executeTakeFirst()
    : await base.where('prefix', '=', text).executeTakeFirst();
  if (!row) throw new NotFoundError('API key', text);
  if (row.revoked_at) return row;
  const revokedAt = new Date().toISOString();
  await lab.db.kysely.updateTable('api_keys').set({ revoked_at: revokedAt }).where('id', '=', row.id).execute();
  return { ...row, revoked_at: revokedAt };
}

export interface Principal {
  keyId: number;
  name: string;
  role: Role;
}

/** last_used_at is written at most this often per key, so reads don't all become writes. */
const TOUCH_EVERY_MS = 60_000;
/** Per database (ids repeat across databases): key id -> last time last_used_at was written. */
const touchedByDb = new WeakMap<object, Map<number, number>>();

/** The principal behind a presented key, or null when it is unknown or revoked. */
export async function verifyApiKey(lab: LabContext, key: string): Promise<Principal | null> {
  if (!key.startsWith('clk_') || key.length > 200) return null;
  const row = await lab.db.kysely
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'revoked_at'])
    .where('key_hash', '=', hashKey(key))
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  const now = Date.now();
  let touched = touchedByDb.get(lab.db);
  if (!touched) {
    touched = new Map();
    touchedByDb.set(lab.db, touched);
  }
  if ((touched.get(row.id) ?? 0) < now - TOUCH_EVERY_MS) {
    touched.set(row.id, now);
    await lab.db.kysely
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', row.id)
      .execute();
  }
  return { keyId: row.id, name: row.name, role: row.role };
}
