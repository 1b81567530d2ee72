// What the commands that reach remotes share: remote URLs as the CLI takes them, and new
// database directories made from a remote (`clone`) or a backup (`backup restore`).
//
// URLs are `http://`, `https://` or `file://`. A `file://` URL with a relative path
// (`file://./backups/db`, `file://backups/db`) is resolved against the current directory, as
// Dolt does, so the URL stored in the database names the same directory from anywhere.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { CliError } = require('./errors');
const { Repo, databaseName, engine, remoteToken } = require('./repo');

const FILE_SCHEME = 'file://';

/** `url` with a relative `file://` path made absolute against `cwd`; other URLs unchanged. */
function resolveRemoteUrl(cwd, url) {
  if (!url.startsWith(FILE_SCHEME)) return url;
  const rest = url.slice(FILE_SCHEME.length);
  if (rest.startsWith('/')) return url;
  return FILE_SCHEME + path.resolve(cwd, rest);
}

/**
 * The directory name a clone of `url` gets by default: the last segment of the URL's path, as
 * Dolt names it (`http://host:50051/org/db` gives `db`); null when the path is empty.
 */
function defaultDirName(url) {
  let pathname;
  if (url.startsWith(FILE_SCHEME)) {
    pathname = url.slice(FILE_SCHEME.length);
  } else {
    try {
      pathname = new URL(url).pathname;
    } catch {
      return null;
    }
  }
  return pathname.split('/').filter((segment) => segment !== '').pop() || null;
}

/** Dolt's `-v` line of a remote or backup: name, URL and its parameters as JSON, empty when
 * there are none. */
function verboseLine(name, url, params) {
  const shown = params && typeof params === 'object' && Object.keys(params).length ? JSON.stringify(params) : '';
  return `${name} ${url} ${shown}`;
}

/**
 * Makes `dir` (relative to `cwd`) a database directory filled by `make(Database, name,
 * options)`, which creates the database on the directory's file storage and resolves to it
 * open; records its name and the branch it has checked out, as `init` does. Refuses a
 * directory that exists and is not empty; on failure removes what it created, so nothing
 * half-made is left behind. Resolves to the new directory's path.
 */
async function createFromRemote(cwd, dir, make) {
  const root = path.resolve(cwd, dir);
  let entries = null;
  try {
    entries = fs.readdirSync(root);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (entries && entries.length > 0) {
    throw new CliError(`error: destination directory '${dir}' already exists and is not empty`);
  }
  const existed = entries !== null;
  const name = databaseName(root);
  const repo = new Repo(root);
  fs.mkdirSync(repo.dataDir, { recursive: true });
  try {
    const db = await make(engine().Database, name, { storage: 'fs', dir: repo.dataDir, ...remoteToken() });
    try {
      const { rows } = await db.query('SELECT active_branch()', [], { rowMode: 'array' });
      repo.writeInitialState(name, rows[0][0]);
    } finally {
      await db.close();
    }
  } catch (err) {
    fs.rmSync(existed ? repo.dataDir : root, { recursive: true, force: true });
    throw err;
  }
  return root;
}

module.exports = { createFromRemote, defaultDirName, resolveRemoteUrl, verboseLine };
