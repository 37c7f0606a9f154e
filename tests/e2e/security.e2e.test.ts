/**
 * The served app in Chromium: the Content-Security-Policy stops scripts injected into the page
 * (inline elements, inline handlers, eval) and any request to another origin, each reported by
 * a securitypolicyviolation event; without the launch token nothing is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, startServer, tempHome, type Browser, type RunningServer } from './support/webApp';

interface Violation {
  directive: string;
  blocked: string;
}

describe('browser mode: CSP and token, in Chromium', () => {
  const home = tempHome();
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer(home.path, ['--no-demo']);
    browser = await openBrowser();
    await browser.page.goto(server.url);
    await browser.page.waitForFunction(() => (document.getElementById('root')?.childElementCount ?? 0) > 0);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    home.cleanup();
  });

  it('does not run an inline script, an inline handler or eval injected into the page, and reports each', async () => {
    const result = await browser.page.evaluate(async () => {
      const seen: Violation[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
      const w = window as unknown as Record<string, unknown>;
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.appendChild(script);
      const holder = document.createElement('div');
      holder.innerHTML = '<img src="data:," onerror="window.handlerRan = true">';
      document.body.appendChild(holder);
      // A string timer is eval run later, in the page's own context: DevTools' evaluate (this
      // function) may eval despite CSP, so eval is tried from where an attacker's string would run.
      (setTimeout as unknown as (code: string, ms: number) => void)('window.evalRan = true', 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { inline: w.inlineRan ?? false, handler: w.handlerRan ?? false, evalRan: w.evalRan ?? false, seen };
    });
    expect(result).toMatchObject({ inline: false, handler: false, evalRan: false });
    const directives = result.seen.map((v) => v.directive);
    expect(directives).toContain('script-src-elem');
    expect(directives).toContain('script-src-attr');
    expect(result.seen.some((v) => v.blocked === 'eval')).toBe(true);
  });

  it('blocks fetches, images and scripts from remote origins before any request is made', async () => {
    const result = await browser.page.evaluate(async () => {
      const seen: Violation[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
      const fetched = await fetch('https://example.com/data.json').then(
        () => 'loaded',
        () => 'blocked',
      );
      const load = (el: HTMLImageElement | HTMLScriptElement) =>
        new Promise<string>((resolve) => {
          el.onload = () => resolve('loaded');
          el.onerror = () => resolve('blocked');
          document.body.appendChild(el);
        });
      const img = document.createElement('img');
      img.src = 'https://example.com/pixel.png';
      const script = document.createElement('script');
      script.src = 'https://example.com/evil.js';
      const [image, remoteScript] = await Promise.all([load(img), load(script)]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { fetched, image, remoteScript, seen };
    });
    expect(result).toMatchObject({ fetched: 'blocked', image: 'blocked', remoteScript: 'blocked' });
    // The violations prove CSP stopped them (this machine has no network, so failure alone would not).
    expect(result.seen).toEqual(
      expect.arrayContaining([
        { directive: 'connect-src', blocked: 'https://example.com/data.json' },
        { directive: 'img-src', blocked: 'https://example.com/pixel.png' },
        { directive: 'script-src-elem', blocked: 'https://example.com/evil.js' },
      ]),
    );
  });

  it('serves nothing once the token cookie is gone, and again after the token URL', async () => {
    const { page, context } = browser;
    await context.clearCookies();
    const bare = await page.goto(`${server.origin}/`);
    expect(bare?.status()).toBe(401);
    const api = await page.evaluate(() => fetch('/api/invoke', { method: 'POST', body: '{"channel":"app:info"}' }).then((r) => r.status));
    expect(api).toBe(401);
    const back = await page.goto(server.url);
    expect(back?.status()).toBe(200);
  });
});
