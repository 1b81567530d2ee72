// Types of `cambium/server`: the remote server's HTTP for Node (docs/remote-protocol.md).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HandlerOptions {
  /** The directory of the databases, one subdirectory each; created when absent. */
  dir: string;
  /** The path of an auth file; every request then needs a token it lists. */
  auth?: string;
  /** Origins browsers may call from, `'*'` for any; without it no CORS header is sent. */
  cors?: string | string[];
  /** A path the protocol's paths sit under, such as `'/remote'`; other paths go to `next`. */
  prefix?: string;
}

/** A Node HTTP handler in Express style; `close()` ends the event streams and frees the engine. */
export interface Handler {
  (req: IncomingMessage, res: ServerResponse, next?: () => void): void;
  close(): void;
}

export function createHandler(options: HandlerOptions): Handler;

export interface Listening {
  /** `http://host:port/`, with the port the OS chose when 0 was asked. */
  url: string;
  port: number;
  /** Stops listening, ends every connection and resolves once the server has stopped. */
  close(): Promise<void>;
}

/** Serves on `host` (default 127.0.0.1) and `port` (0 picks a free one). */
export function listen(options: Omit<HandlerOptions, 'prefix'> & { port: number; host?: string }): Promise<Listening>;

/** Bytes of a request body read at most; larger ones are answered 413 `too_large`. */
export const BODY_BYTES_MAX: number;
