import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { APP_HOST } from '../../common/contract';
import { AppError } from '../../common/errors';
import type { Backend } from '../app/composition';
import { CONTENT_SECURITY_POLICY } from '../app/securityPolicy';
import { resolveInside } from '../services/safePath';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** s2r://app/… : the renderer's files, and media/… from the open project's folders only. */
export async function handleAppProtocol(request: Request, backend: Backend, rendererDir: string): Promise<Response> {
  const url = new URL(request.url);
  const headers = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' };
  try {
    if (url.host !== APP_HOST) throw new AppError('FORBIDDEN_PATH', `${url.host}: unknown host`);
    if (url.pathname.startsWith('/media/')) {
      const media = await backend.media.get(url.pathname.slice('/media/'.length));
      return new Response(new Uint8Array(media.body), { headers: { ...headers, 'content-type': media.contentType } });
    }
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = resolveInside(rendererDir, rel);
    return new Response(new Uint8Array(readFileSync(file)), {
      headers: { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' },
    });
  } catch (err) {
    const status = err instanceof AppError && err.code === 'FORBIDDEN_PATH' ? 403 : 404;
    return new Response(err instanceof Error ? err.message : 'error', { status, headers });
  }
}
