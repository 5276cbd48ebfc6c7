import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPublicRoute, requiredRole } from '../../src/security/access.js';
import { createApiKey, hashKey, listApiKeys, revokeApiKey, verifyApiKey } from '../../src/security/keys.js';
import { assertSafeExposure } from '../../src/security/exposure.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

describeEachDialect('API keys', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('stores only a hash; the key verifies until revoked', async () => {
    const created = await createApiKey(lab, { role: 'editor', name: 'bot' });
    const row = await lab.db.kysely
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(await verifyApiKey(lab, created.key)).toMatchObject({ keyId: created.id, role: 'editor' });
    expect(await verifyApiKey(lab, `${created.key}x`)).toBeNull();
    const used = await lab.db.kysely
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(used.last_used_at).not.toBeNull();
    await revokeApiKey(lab, created.prefix);
    expect(await verifyApiKey(lab, created.key)).toBeNull();
    expect((await listApiKeys(lab)).map((k) => k.id)).not.toContain(created.id);
    expect((await listApiKeys(lab, { includeRevoked: true })).map((k) => k.id)).toContain(created.id);
  });

  it('rejects an unknown role and an empty name naming the field', async () => {
    await expect(createApiKey(lab, { role: 'root' })).rejects.toMatchObject({
      status: 400,
      details: [{ field: 'role' }],
    });
    await expect(createApiKey(lab, { role: 'viewer', name: '  ' })).rejects.toMatchObject({
      details: [{ field: 'name' }],
    });
  });
});

describe('access policy', () => {
  it('maps methods to roles, and route config can only raise them', () => {
    expect(requiredRole('GET')).toBe('viewer');
    expect(requiredRole('HEAD')).toBe('viewer');
    expect(requiredRole('POST')).toBe('editor');
    expect(requiredRole('PATCH')).toBe('editor');
    expect(requiredRole('PUT')).toBe('editor');
    expect(requiredRole('DELETE')).toBe('admin');
    expect(requiredRole('GET', 'admin')).toBe('admin');
    expect(requiredRole('DELETE', 'viewer')).toBe('admin');
  });

  it('keeps health, docs and the dashboard shell public, nothing else', () => {
    expect(isPublicRoute('/health/live', 'GET')).toBe(true);
    expect(isPublicRoute('/docs/json', 'GET')).toBe(true);
    expect(isPublicRoute('/*', 'GET')).toBe(true);
    expect(isPublicRoute('/*', 'POST')).toBe(false);
    expect(isPublicRoute('/metrics', 'GET')).toBe(false);
    expect(isPublicRoute('/datasets', 'GET')).toBe(false);
    expect(isPublicRoute('/healthy-looking', 'GET')).toBe(false);
  });

  it('refuses a network address with auth off unless insecure', () => {
    expect(() => assertSafeExposure({ host: '0.0.0.0', auth: 'off' })).toThrow(/refusing to listen on 0.0.0.0/);
    expect(() => assertSafeExposure({ host: '0.0.0.0', auth: 'off' }, true)).not.toThrow();
    expect(() => assertSafeExposure({ host: '127.0.0.1', auth: 'off' })).not.toThrow();
    expect(() => assertSafeExposure({ host: '0.0.0.0', auth: 'required' })).not.toThrow();
  });
});
