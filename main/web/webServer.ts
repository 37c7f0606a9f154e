import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEB_TOKEN_COOKIE, WEB_TOKEN_HEADER } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Backend } from '../app/composition';
import { resolveInside } from '../services/safePath';
import { CONTENT_SECURITY_POLICY } from '../app/securityPolicy';

export interface WebServerOptions {
  /** Built renderer (index.html and assets). */
  readonly rendererDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Defaults to a fresh random token for this launch. */
  readonly token?: string;
}

const MAX_BODY_BYTES = 1 << 20;
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * Browser mode: the same renderer and the same dispatcher as the Electron shell, over
 * HTTP and a WebSocket, on 127.0.0.1 only. Every request needs this launch's token,
 * either once in the URL (swapped for a strict cookie) or in a header.
 */
export class WebServer {
  readonly token: string;
  private readonly server: Server;
  private readonly sockets: WebSocketServer;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly backend: Backend,
    private readonly options: WebServerOptions,
  ) {
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err) => sendError(res, err));
    });
    this.sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    this.server.on('upgrade', (req, socket, head) => {
      if (urlOf(req).pathname !== '/api/events' || !this.authorised(req) || !sameOrigin(req)) {
        socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        socket.destroy();
        return;
      }
      this.sockets.handleUpgrade(req, socket, head, (ws) => this.sockets.emit('connection', ws));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.unsubscribe = this.backend.events.subscribe((event) => {
      const text = JSON.stringify(event);
      for (const ws of this.sockets.clients) if (ws.readyState === ws.OPEN) ws.send(text);
    });
    this.sockets.on('connection', (ws: WebSocket) => ws.on('message', () => ws.close(1003, 'events only')));
    return this.url();
  }

  /** The address to open, with the token that authorises it. */
  url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/?token=${this.token}`;
  }

  async dispose(): Promise<void> {
    this.unsubscribe?.();
    for (const ws of this.sockets.clients) ws.terminate();
    this.sockets.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = urlOf(req);
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      if (!this.tokenMatches(url.searchParams.get('token') ?? '')) return sendText(res, 401, 'Wrong token.');
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${WEB_TOKEN_COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      return void res.end();
    }
    if (!this.authorised(req)) {
      return sendText(res, 401, 'Sim2Real Studio: open the address printed at launch (it carries the access token).');
    }
    if (url.pathname === '/api/invoke') return this.invoke(req, res);
    if (req.method !== 'GET') return sendText(res, 405, 'method not allowed');
    if (url.pathname.startsWith('/media/')) {
      const media = await this.backend.media.get(url.pathname.slice('/media/'.length));
      return send(res, 200, media.contentType, media.body, 'private, max-age=60');
    }
    return this.serveStatic(url.pathname, res);
  }

  private async invoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendText(res, 405, 'method not allowed');
    if (!sameOrigin(req)) return sendText(res, 403, 'cross-origin request refused');
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      // The rest of an oversized body is never read, so the socket cannot carry another request.
      res.setHeader('connection', 'close');
      throw err;
    }
    let message: { channel?: unknown; payload?: unknown };
    try {
      message = JSON.parse(body) as typeof message;
    } catch {
      message = {};
    }
    const result = await this.backend.dispatcher.dispatch(message?.channel, message?.payload);
    send(res, 200, 'application/json', Buffer.from(JSON.stringify(result)), 'no-store');
  }

  private serveStatic(pathname: string, res: ServerResponse): void {
    let rel: string;
    try {
      rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    } catch {
      return sendText(res, 400, 'malformed escape in the path'); // was a 500 from an uncaught URIError
    }
    let file: string;
    try {
      file = resolveInside(this.options.rendererDir, rel);
      if (!statSync(file).isFile()) throw new Error('a folder'); // a folder read as a file was a 500 (EISDIR)
    } catch {
      file = resolveInside(this.options.rendererDir, 'index.html');
    }
    const type = STATIC_TYPES[extname(file)] ?? 'application/octet-stream';
    send(res, 200, type, readFileSync(file), file.endsWith('.html') ? 'no-store' : 'private, max-age=3600');
  }

  private authorised(req: IncomingMessage): boolean {
    const header = req.headers[WEB_TOKEN_HEADER];
    if (typeof header === 'string' && this.tokenMatches(header)) return true;
    const cookie = parseCookies(req.headers.cookie ?? '').get(WEB_TOKEN_COOKIE);
    return cookie !== undefined && this.tokenMatches(cookie);
  }

  private tokenMatches(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

function urlOf(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://127.0.0.1');
}

/** Browsers always send Origin on cross-site POSTs and WebSocket upgrades; ours must match the host. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host}`;
}

function parseCookies(header: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return map;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AppError('BAD_REQUEST', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, type: string, body: Buffer, cache: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': cache,
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, 'text/plain; charset=utf-8', Buffer.from(text), 'no-store');
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (err instanceof AppError) {
    const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'FORBIDDEN_PATH' ? 403 : 400;
    return sendText(res, status, err.message);
  }
  sendText(res, 500, 'internal error');
}
