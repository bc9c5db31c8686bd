/**
 * The demo relying party's own SQLite database (a separate program: it knows nothing of the
 * authenticator's store). Users, and their credentials as WebAuthn L3 §7.1 step 27 says to keep
 * them: credential ID, public key, signature counter, transports, plus the registration JSON so
 * the result page can show what the browser produced.
 */
import Database from 'better-sqlite3';

export interface DemoUser {
  id: number;
  name: string;
  /** The user handle sent to authenticators (base64url). */
  webauthnUserId: string;
  createdAt: number;
}

export interface DemoCredential {
  /** base64url credential ID. */
  id: string;
  userId: number;
  /** COSE_Key bytes of the credential public key. */
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  alg: number;
  fmt: string;
  aaguid: string;
  deviceType: string;
  backedUp: boolean;
  /** The RegistrationResponseJSON the page sent. */
  registrationJson: string;
  createdAt: number;
  lastUsedAt: number | null;
  loginCount: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  webauthn_user_id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  public_key BLOB NOT NULL,
  counter INTEGER NOT NULL,
  transports TEXT NOT NULL,
  alg INTEGER NOT NULL,
  fmt TEXT NOT NULL,
  aaguid TEXT NOT NULL,
  device_type TEXT NOT NULL,
  backed_up INTEGER NOT NULL,
  registration_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  login_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS credentials_user ON credentials(user_id);
`;

interface CredentialRow {
  id: string;
  user_id: number;
  public_key: Buffer;
  counter: number;
  transports: string;
  alg: number;
  fmt: string;
  aaguid: string;
  device_type: string;
  backed_up: number;
  registration_json: string;
  created_at: number;
  last_used_at: number | null;
  login_count: number;
}

const credentialOf = (r: CredentialRow): DemoCredential => ({
  id: r.id,
  userId: r.user_id,
  publicKey: new Uint8Array(r.public_key),
  counter: r.counter,
  transports: JSON.parse(r.transports) as string[],
  alg: r.alg,
  fmt: r.fmt,
  aaguid: r.aaguid,
  deviceType: r.device_type,
  backedUp: r.backed_up === 1,
  registrationJson: r.registration_json,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  loginCount: r.login_count,
});

const userOf = (r: { id: number; name: string; webauthn_user_id: string; created_at: number }): DemoUser => ({
  id: r.id,
  name: r.name,
  webauthnUserId: r.webauthn_user_id,
  createdAt: r.created_at,
});

export class DemoDb {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
  }

  userByName(name: string): DemoUser | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as
      Parameters<typeof userOf>[0] | undefined;
    return r && userOf(r);
  }

  userById(id: number): DemoUser | undefined {
    const r = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as Parameters<typeof userOf>[0] | undefined;
    return r && userOf(r);
  }

  createUser(name: string, webauthnUserId: string, now: number): DemoUser {
    const info = this.db
      .prepare('INSERT INTO users (name, webauthn_user_id, created_at) VALUES (?, ?, ?)')
      .run(name, webauthnUserId, now);
    return { id: Number(info.lastInsertRowid), name, webauthnUserId, createdAt: now };
  }

  credentialsOf(userId: number): DemoCredential[] {
    return (
      this.db.prepare('SELECT * FROM credentials WHERE user_id = ? ORDER BY created_at').all(userId) as CredentialRow[]
    ).map(credentialOf);
  }

  credential(id: string): DemoCredential | undefined {
    const r = this.db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as CredentialRow | undefined;
    return r && credentialOf(r);
  }

  allCredentials(): Array<DemoCredential & { userName: string }> {
    const rows = this.db
      .prepare(
        'SELECT c.*, u.name AS user_name FROM credentials c JOIN users u ON u.id = c.user_id ORDER BY c.created_at DESC',
      )
      .all() as Array<CredentialRow & { user_name: string }>;
    return rows.map((r) => ({ ...credentialOf(r), userName: r.user_name }));
  }

  addCredential(c: Omit<DemoCredential, 'lastUsedAt' | 'loginCount'>): void {
    this.db
      .prepare(
        `INSERT INTO credentials (id, user_id, public_key, counter, transports, alg, fmt, aaguid, device_type, backed_up, registration_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.id,
        c.userId,
        Buffer.from(c.publicKey),
        c.counter,
        JSON.stringify(c.transports),
        c.alg,
        c.fmt,
        c.aaguid,
        c.deviceType,
        c.backedUp ? 1 : 0,
        c.registrationJson,
        c.createdAt,
      );
  }

  recordLogin(id: string, counter: number, backedUp: boolean, now: number): void {
    this.db
      .prepare(
        'UPDATE credentials SET counter = ?, backed_up = ?, last_used_at = ?, login_count = login_count + 1 WHERE id = ?',
      )
      .run(counter, backedUp ? 1 : 0, now, id);
  }

  /** Runs fn in one SQLite transaction (rolled back when it throws). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
