// The types of Cambium's JS API, shared by the browser build (`cambium/web`) and the Node build
// (`cambium/node`); the package's `exports` map picks the build, this file documents both.

/** Where a database keeps its data. */
export type Storage = 'memory' | 'indexeddb' | 'fs';

/** Options of {@link Database.open}. */
export interface OpenOptions {
  /** `'memory'` (the default; reopening the name in the same process finds the data),
   * `'indexeddb'` (browser pages and workers) or `'fs'` (Node; needs `dir`). */
  storage?: Storage;
  /** With `storage: 'fs'`, the directory the database's folder (named after it) lives in. */
  dir?: string;
  /** The most bytes of chunks kept in memory between statements. */
  cacheBytes?: number;
  /** Called as chunks move during a clone, restore, push, fetch, pull or backup, after each
   * batch read or written. */
  onProgress?: (progress: TransferProgress) => void;
  /** The bearer token sent to HTTP remotes whose server checks tokens (`--auth`): one for
   * every remote, or a function of the remote's URL (undefined for none). Tokens are never
   * stored in the database. */
  remoteToken?: string | ((url: string) => string | undefined);
  /**
   * Who signs the commits the database makes without an author being named, such as the
   * "Transaction commit" of `@@dolt_transaction_commit`; the SQL root user when absent.
   */
  user?: { name: string; email: string };
}

/** How far a transfer of chunks between a database and a remote has come. */
export interface TransferProgress {
  operation: 'clone' | 'restore' | 'push' | 'fetch' | 'backup';
  /** Chunks written to the receiving side so far, and their bytes. */
  chunks: number;
  bytes: number;
  /** Chunks read from the sending side so far. */
  read: number;
  /** Chunks known to be needed and not written yet (grows as the walk finds more). */
  pending: number;
}

/** Options of {@link Database.clone}: where the new database lives, as for `open`, and what
 * to check out. */
export interface CloneOptions extends OpenOptions {
  /** The name the remote gets in the new database (default `'origin'`). */
  remote?: string;
  /** The branch checked out (default: the remote's default branch). */
  branch?: string;
}

/** Options of {@link Database.query} and {@link Database.exec}. */
export interface QueryOptions {
  /** `'object'` (the default): each row a plain object keyed by column name. `'array'`: each
   * row an array in column order, which keeps every column when two share a name. */
  rowMode?: 'object' | 'array';
}

/**
 * A SQL value in JS. Integers within ±2^53 are numbers, larger ones BigInts; DECIMAL is a string
 * (exact); DATE, TIME and DATETIME are strings in MySQL's text form (a JS `Date` may be bound as
 * a parameter); BLOBs are `Uint8Array`s; JSON documents are parsed JS values; NULL is `null`.
 */
export type Value = null | number | bigint | string | Uint8Array | boolean | object;

/** What one statement returns. */
export interface QueryResult<Row = Record<string, Value>> {
  /** Column names of a row-returning statement, in order; empty for others. */
  columns: string[];
  /** The rows, as objects (default) or arrays (`rowMode: 'array'`). */
  rows: Row[];
  /** Rows inserted, updated or deleted (MySQL's count: an upsert that updates counts 2). */
  rowsAffected: number;
  /** The first AUTO_INCREMENT value the statement generated, or 0. */
  lastInsertId: number;
  /**
   * What the statement warns of, such as a replication failure that
   * `@@dolt_skip_replication_errors` turned into a warning; `SHOW WARNINGS` lists the last
   * statement's again.
   */
  warnings: Warning[];
}

/** One warning of a statement, as MySQL's `SHOW WARNINGS` lists it. */
export interface Warning {
  level: 'Warning';
  /** MySQL's error code (1105 for a warning without a code of its own). */
  code: number;
  message: string;
}

/** What {@link Database.fsck} reports. */
export interface FsckReport {
  /** True when every reachable chunk is present, hashes to its address and decodes. */
  clean: boolean;
  chunksChecked: number;
  bytesChecked: number;
  /** Each problem: the chunk, the path of refs and tables that reaches it, and what is wrong. */
  problems: { hash: string; path: string; problem: string }[];
  /** The report as text. */
  text: string;
}

/** What {@link Database.gc} removed and kept. */
export interface GcStats {
  removedChunks: number;
  removedBytes: number;
  keptChunks: number;
}

/** What a `change` listener receives. */
export interface ChangeEvent {
  type: 'change';
  /** The database's name. */
  database: string;
}

/**
 * Every failure is an `Error` with a stable `code` (`sql_syntax`, `sql_bad_argument`,
 * `nothing_to_commit`, `sql_serialization_failure` (retryable), `closed`, `bad_option`, ...).
 * `sql_read_only` refuses a statement that would write in a read-only database (a read
 * replica); its `message` says why the database is read-only.
 */
export interface CambiumError extends Error {
  code: string;
}

/**
 * A version-controlled SQL database. Everything versioned goes through SQL, as in Dolt:
 * `CALL dolt_commit('-Am', 'message')`, `SELECT * FROM dolt_log`, `dolt_diff_<table>`, ...
 * Calls made without awaiting the previous one run one after another, in the order made.
 */
export class Database {
  private constructor();
  /**
   * Opens the database `name` (letters, digits, `_` and `-`, at most 64 bytes), creating it
   * with a `main` branch and a first commit when it does not exist.
   */
  static open(name: string, options?: OpenOptions): Promise<Database>;
  /**
   * Creates the database `name` as a clone of the remote database at `url`
   * (`http(s)://host:port/<db>` or `file:///path`): every branch as a remote-tracking branch
   * (`origin/<branch>`), the tags, and the default branch checked out. Push, fetch and pull are
   * SQL afterwards: `CALL dolt_push('origin', 'main')`, `CALL dolt_pull('origin')`.
   * Fails with `database_exists` when `name` already exists on that storage.
   */
  static clone(url: string, name: string, options?: CloneOptions): Promise<Database>;
  /**
   * Creates the database `name` from the backup at `url` (made by `CALL dolt_backup('sync',
   * ...)`), with every branch, tag, uncommitted change and setting the backup holds.
   */
  static restore(url: string, name: string, options?: OpenOptions): Promise<Database>;
  /**
   * Runs a statement, or a `;`-separated script, binding `params` to `?` in order; resolves to
   * the last statement's result. A failing statement changes nothing (those before it stand).
   */
  query(sql: string, params?: Value[], options?: QueryOptions & { rowMode?: 'object' }): Promise<QueryResult>;
  query(sql: string, params: Value[] | undefined, options: { rowMode: 'array' }): Promise<QueryResult<Value[]>>;
  /** Runs a `;`-separated script and resolves to every statement's result. */
  exec(script: string, options?: QueryOptions & { rowMode?: 'object' }): Promise<QueryResult[]>;
  exec(script: string, options: { rowMode: 'array' }): Promise<QueryResult<Value[]>[]>;
  /** Checks everything reachable from branches, tags and working sets. */
  fsck(): Promise<FsckReport>;
  /** Removes every chunk no ref or working set reaches. */
  gc(): Promise<GcStats>;
  /**
   * Calls `listener` (in a microtask of its own) whenever another object of this database
   * writes: another `Database` of the same name and storage in this program; on IndexedDB,
   * another tab or worker of the origin; on `'fs'` (Node), another process writing the same
   * directory, heard within a few tens of milliseconds through an `fs.watch` of it that keeps
   * no process alive and stops when the database's last object in this program closes. Other
   * processes are heard only in the Node build. This object's own writes send none; a listener
   * typically queries again to show the new data. Writes coming quickly one after another may
   * arrive as one event. At most 64 listeners; adding one twice adds it once. Only `'change'`
   * is sent (anything else is refused with `bad_argument`).
   */
  addEventListener(type: 'change', listener: (event: ChangeEvent) => void): void;
  /** Stops calling a listener given to {@link Database.addEventListener}. */
  removeEventListener(type: 'change', listener: (event: ChangeEvent) => void): void;
  /**
   * Makes a read replica live. A replica (`SET PERSIST @@GLOBAL.dolt_read_replica_remote =
   * 'origin'` with `@@dolt_replicate_heads` or `@@dolt_replicate_all_heads`) otherwise pulls
   * before every transaction: one round trip per query. A live one follows the `events` stream
   * of its remote (server-sent events, read with `fetch`, with the `remoteToken`), pulls as soon
   * as the server says a ref moved (in turn with the other calls), sends `change` when the pull
   * moved a branch or tag, and serves its queries locally. A read right after the primary's
   * commit returns may still see the state before it until that event arrived; a `change`
   * listener reads the new state.
   *
   * Resolves once the stream is open and a pull after it is done. When the stream breaks (the
   * server restarts, the network goes), every transaction start pulls again, as without
   * `subscribe`, so no read is served from a stale copy unawares; the stream is opened again
   * after a wait growing from 250 ms to 15 s, and after a pull the replica is live again. A
   * stream silent for 45 s (three missed heartbeats) counts as broken. `close` ends the
   * subscription and keeps no Node process alive. A second call while subscribed does nothing.
   * Fails with `not_a_replica` when `@@dolt_read_replica_remote` names no remote, and
   * `remote_unsupported` for a `file://` remote, which sends no events.
   */
  subscribe(): Promise<void>;
  /**
   * Closes the database after the calls already made; a live replica's subscription ends and an
   * open transaction is rolled back.
   */
  close(): Promise<void>;
  /** Frees the wasm memory of a closed database at once (otherwise the garbage collector does). */
  free(): void;
}

/** One answer of {@link RemoteServer.handle}. */
export interface RemoteAnswer {
  status: number;
  contentType: string;
  /** The quoted hex of the manifest, on manifest reads. */
  etag: string | undefined;
  body: Uint8Array;
  /** The hex of the manifest a successful swap published. */
  swapped: string | undefined;
  /** The database the path named, when it names a valid one. */
  database: string | undefined;
}

/**
 * Node build only: the remote server (docs/remote-protocol.md) over a directory of databases,
 * one request at a time, without the HTTP. `cambium/server` (`createHandler`, `listen`) is the
 * HTTP server around it; use this only to serve the protocol over something else.
 */
export class RemoteServer {
  /**
   * Serves the databases under `dir` (created when absent); with `authText`, the text of an
   * auth file, every request needs a token it lists. Throws `bad_auth_file` or `io`.
   */
  constructor(dir: string, authText?: string);
  /** Answers one request; every refusal is an answer with its status and JSON error. */
  handle(
    method: string,
    path: string,
    ifNoneMatch: string | undefined,
    authorization: string | undefined,
    body: Uint8Array,
  ): RemoteAnswer;
  /** Closes the databases' files and frees the wasm memory. */
  free(): void;
}

/**
 * Browser build only: loads the wasm module (from `cambium_bg.wasm` next to the script, or the
 * URL, Response or bytes given). Call and await it once before {@link Database.open}.
 */
export default function init(module?: unknown): Promise<unknown>;
