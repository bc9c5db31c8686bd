import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openDataDir } from '../../src/store/dataDir.js';
import {
  LATEST_SCHEMA_VERSION,
  migrate,
  MIGRATIONS,
  SchemaVersionError,
  schemaVersion,
  type Migration,
} from '../../src/store/migrations.js';
import { tempDir } from './helpers.js';

const tables = (db: Database.Database): string[] =>
  (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as Array<{ name: string }>
  ).map((r) => r.name);

test('migrations are numbered 1..N in order', () => {
  assert.ok(MIGRATIONS.length >= 1);
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
  assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
});

test('a fresh database ends at the latest user_version with every table', (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  assert.equal(schemaVersion(db), 0);
  assert.equal(migrate(db), LATEST_SCHEMA_VERSION);
  assert.equal(db.pragma('user_version', { simple: true }), LATEST_SCHEMA_VERSION);
  assert.deepEqual(tables(db), [
    'counters',
    'credential_slot',
    'large_blob',
    'meta',
    'resident',
    'resident_rp',
    'resident_totals',
    'secrets',
    'state',
  ]);
  // Idempotent: migrating again changes nothing.
  assert.equal(migrate(db), LATEST_SCHEMA_VERSION);
  assert.equal(schemaVersion(db), LATEST_SCHEMA_VERSION);
});

test('every sealed table carries a format (record version) column', (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  migrate(db);
  for (const table of ['resident', 'state', 'large_blob', 'secrets', 'credential_slot']) {
    const cols = (db.pragma(`table_info(${table})`) as Array<{ name: string; notnull: number }>).filter(
      (c) => c.name === 'format',
    );
    assert.equal(cols.length, 1, table);
    assert.equal(cols[0]!.notnull, 1, table);
  }
});

test('only pending migrations run, in order, and a later list upgrades an older database', (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  const ran: number[] = [];
  const list: Migration[] = [
    { version: 1, description: 'a', up: (d) => (ran.push(1), d.exec('CREATE TABLE a (x)')) },
    { version: 2, description: 'b', up: (d) => (ran.push(2), d.exec('CREATE TABLE b (x)')) },
  ];
  assert.equal(migrate(db, list.slice(0, 1)), 1);
  assert.equal(migrate(db, list), 2);
  assert.deepEqual(ran, [1, 2]);
  assert.deepEqual(tables(db), ['a', 'b']);
});

test('a failing migration rolls back every pending migration and the version', (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  const list: Migration[] = [
    { version: 1, description: 'a', up: (d) => d.exec('CREATE TABLE a (x)') },
    { version: 2, description: 'broken', up: (d) => d.exec('CREATE TABLE b (x); THIS IS NOT SQL') },
  ];
  assert.throws(() => migrate(db, list), /syntax error/);
  assert.equal(schemaVersion(db), 0);
  assert.deepEqual(tables(db), []);
});

test('a migration list out of order is rejected', (t) => {
  const db = new Database(':memory:');
  t.after(() => db.close());
  assert.throws(() => migrate(db, [{ version: 2, description: 'x', up: () => {} }]), /out of order/);
  assert.equal(schemaVersion(db), 0);
});

test('a database from a newer softkey is refused with a clear message and left untouched', (t) => {
  const dir = tempDir(t);
  openDataDir(dir).close();
  const file = join(dir, 'softkey.db');
  const raw = new Database(file);
  raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  raw.close();
  assert.throws(
    () => openDataDir(dir),
    (e: unknown) =>
      e instanceof SchemaVersionError &&
      e.message.includes(`schema version ${LATEST_SCHEMA_VERSION + 1}`) &&
      e.message.includes(`up to ${LATEST_SCHEMA_VERSION}`) &&
      e.message.includes('newer softkey'),
  );
  const check = new Database(file, { readonly: true });
  t.after(() => check.close());
  assert.equal(schemaVersion(check), LATEST_SCHEMA_VERSION + 1);
});
