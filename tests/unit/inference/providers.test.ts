import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cudaLibraryPath, explain, ProviderProbe } from '../../../main/inference/providerProbe';
import { ProviderService } from '../../../main/inference/providerService';
import { SettingsStore } from '../../../main/services/settingsStore';
import { makeTempDir } from '../../helpers/tempDir';
import { model } from './helpers';

// These machines have no GPU and no CUDA libraries: the chain must end on CPU, and say why.
const NO_CUDA = !existsSync(cudaLibraryPath());

describe('execution provider fallback', () => {
  let home: { path: string; cleanup: () => void };
  beforeEach(() => {
    home = makeTempDir('s2r-providers-');
  });
  afterEach(() => home.cleanup());

  const service = (opts: { pinOverride?: 'cuda' | 'webgpu' | 'cpu' } = {}) =>
    new ProviderService({ settings: new SettingsStore(home.path), probe: new ProviderProbe({ cacheDir: home.path }), threads: 1, ...opts });

  it.skipIf(!NO_CUDA)('tries CUDA, then WebGPU, then runs on CPU, with the reason each failed', async () => {
    const providers = service();
    const report = await providers.report();
    expect(report.active).toBe('cpu');
    expect(report.pinned).toBeNull();
    expect(report.attempts.map((a) => [a.provider, a.ok])).toEqual([
      ['cuda', false],
      ['webgpu', false],
      ['cpu', true],
    ]);
    expect(report.attempts[0]!.reason).toMatch(/CUDA provider libraries are not installed.*setup:cuda/);
    // The probe's own words from ORT (no adapter, Vulkan missing) or its timeout; never empty.
    expect(report.attempts[1]!.reason).toMatch(/adapter|Vulkan|did not finish|killed|exited/i);
    expect(report.attempts[1]!.reason).not.toMatch(/onnxruntime_src/);

    const opened = await providers.createSession(readFileSync(model('tiny_seg.onnx')), 'tiny_seg.onnx');
    expect(opened.provider).toBe('cpu');
    expect(opened.attempts.map((a) => a.ok)).toEqual([false, false, true]);
    await opened.session.release();
    expect((await providers.report()).active).toBe('cpu');
  });

  it('caches the probe answer in the app home, so the next launch does not probe again', async () => {
    await service().report();
    const cache = join(home.path, 'inference-providers.json');
    expect(existsSync(cache)).toBe(true);
    const cached = JSON.parse(readFileSync(cache, 'utf8')) as Record<string, { result: { ok: boolean } }>;
    expect(cached.webgpu?.result.ok).toBe(false);
    const started = Date.now();
    const again = await new ProviderProbe({ cacheDir: home.path }).result('webgpu');
    expect(again).toEqual(cached.webgpu!.result);
    expect(Date.now() - started).toBeLessThan(200); // no child process was started
  });

  it('kills a probe that hangs instead of waiting for it', async () => {
    const probe = new ProviderProbe({ cacheDir: null, timeoutMs: 1 });
    const started = Date.now();
    const result = await probe.result('webgpu');
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/did not finish within 0 s \(probe killed\)/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('persists a pin in settings.json, tries the pinned provider first and falls back when it fails', async () => {
    const providers = service();
    const report = await providers.pin('webgpu');
    expect(report.pinned).toBe('webgpu');
    expect(report.attempts[0]!.provider).toBe('webgpu');
    if (!report.attempts[0]!.ok) {
      expect(report.attempts[0]!.reason).toMatch(/^pinned, but /);
      expect(report.active).not.toBe('webgpu');
    }
    const settings = JSON.parse(readFileSync(join(home.path, 'settings.json'), 'utf8')) as { inference: { pinnedProvider: string } };
    expect(settings.inference.pinnedProvider).toBe('webgpu');
    expect(service().pinned()).toBe('webgpu'); // a new process reads it back

    const cpu = await providers.pin('cpu');
    expect(cpu).toEqual({ active: 'cpu', activePrecision: null, pinned: 'cpu', gpuPrecision: 'fp32', attempts: [{ provider: 'cpu', ok: true, reason: null }] });
    expect((await providers.pin(null)).pinned).toBeNull();
  });

  it('lets the command line pin for one process without touching the saved setting', async () => {
    const providers = service({ pinOverride: 'cpu' });
    expect((await providers.report()).attempts).toEqual([{ provider: 'cpu', ok: true, reason: null }]);
    expect(existsSync(join(home.path, 'settings.json'))).toBe(false);
  });

  it('turns ORT source locations into a readable reason', () => {
    const message =
      "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n";
    const stderr = "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n    at operator()";
    expect(explain(message, stderr)).toBe(
      'Failed to get a WebGPU adapter: No supported adapters (Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory)',
    );
  });
});
