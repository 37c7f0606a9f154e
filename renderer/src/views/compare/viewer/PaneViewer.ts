import * as THREE from 'three';
import type { PaneMode } from '../../../store/compareSlice';
import type { GreyImage } from './greyPng';
import { LayerTextures, paletteTexture } from './layerTextures';
import { BACKGROUND_RGB, FRAGMENT_SHADER, HIGHLIGHT_RGB, SHADER_MODE, VERTEX_SHADER, type ShaderMode } from './shaders';
import { FIT, canvasToImage, panBy, placement, zoomAt, type Placement, type ViewTransform } from './viewTransform';

/** Everything one pane can show for one frame; null where the frame has no such layer. */
export interface PaneLayers {
  readonly frameId: number;
  readonly image: ImageBitmap;
  readonly maskA: GreyImage | null;
  readonly maskB: GreyImage | null;
  readonly confidenceA: GreyImage | null;
  readonly confidenceB: GreyImage | null;
  readonly entropyA: GreyImage | null;
  readonly entropyB: GreyImage | null;
  readonly label: GreyImage | null;
  readonly synthetic: GreyImage | null;
}

export interface PaneStyle {
  readonly mode: PaneMode;
  readonly opacity: number;
  /** Which model the single-model modes (mask, confidence, entropy) show. */
  readonly model: 'a' | 'b';
  /** Bit n set: trainId n is drawn. */
  readonly visibleClasses: number;
  /** Split-swipe divider as a fraction of the canvas width. */
  readonly split: number;
}

export interface PaneViewerEvents {
  /** The user panned or zoomed; the owner decides which panes follow. */
  onViewChange?(view: ViewTransform): void;
  /** Image pixel under the pointer, or null when it left the image. */
  onHover?(pixel: { x: number; y: number } | null): void;
  onRendered?(frameId: number | null): void;
}

const ZOOM_PER_WHEEL_PIXEL = 1.0015;

/**
 * One compare pane: a three.js renderer drawing a single full-canvas triangle through the
 * compare shader. React mounts it on a host element, feeds it layers, style and view, and
 * disposes it; it draws only when one of those changed (once per task at most), the way
 * foxglove's ThreeDeeRender renders on demand.
 */
export class PaneViewer {
  readonly canvas: HTMLCanvasElement;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.Camera();
  /** One program per shader mode, all sharing `uniforms`. */
  private readonly materials: THREE.RawShaderMaterial[];
  private readonly uniforms: Record<string, THREE.IUniform>;
  private readonly mesh: THREE.Mesh;
  private readonly geometry: THREE.BufferGeometry;
  private readonly palette: THREE.DataTexture;
  private readonly textures = new LayerTextures();
  private readonly resizeObserver: ResizeObserver;
  private layers: PaneLayers | null = null;
  private style: PaneStyle = { mode: 'image', opacity: 0.6, model: 'a', visibleClasses: 0x7ffff, split: 0.5 };
  private view: ViewTransform = FIT;
  private cssSize = { width: 1, height: 1 };
  private drawQueued = false;
  private renderSeq = 0;
  private drag: { id: number; x: number; y: number } | null = null;
  private disposed = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly events: PaneViewerEvents = {},
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'pane-canvas';
    host.appendChild(this.canvas);
    // No preserveDrawingBuffer: keeping the buffer costs a copy per composited frame, which
    // a software GPU feels. Tests read pixels right after each draw instead.
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: false, preserveDrawingBuffer: false });
    this.renderer.setPixelRatio(window.devicePixelRatio);
    // draw() clears to the background itself and shades only the image's rectangle.
    this.renderer.autoClear = false;
    this.palette = paletteTexture();
    this.geometry = new THREE.BufferGeometry();
    this.geometry.setAttribute('position', new THREE.Float32BufferAttribute([-1, -1, 0, 3, -1, 0, -1, 3, 0], 3));
    this.uniforms = {
      uImage: { value: null },
      uMaskA: { value: null },
      uMaskB: { value: null },
      uHeat: { value: null },
      uPalette: { value: this.palette },
      uMaskSizeA: { value: new THREE.Vector2(1, 1) },
      uMaskSizeB: { value: new THREE.Vector2(1, 1) },
      uVisible: { value: 0 },
      uOpacity: { value: 1 },
      uSplitX: { value: 0 },
      uImageSize: { value: new THREE.Vector2(1, 1) },
      uScale: { value: 1 },
      uOffset: { value: new THREE.Vector2(0, 0) },
      uBufferHeight: { value: 1 },
      uBackground: { value: new THREE.Vector3(...BACKGROUND_RGB.map((c) => c / 255)) },
      uHighlight: { value: new THREE.Vector3(...HIGHLIGHT_RGB.map((c) => c / 255)) },
    };
    this.materials = Object.values(SHADER_MODE).map(
      (mode) =>
        new THREE.RawShaderMaterial({
          glslVersion: THREE.GLSL3,
          vertexShader: VERTEX_SHADER,
          fragmentShader: FRAGMENT_SHADER,
          defines: { MODE: mode },
          depthTest: false,
          depthWrite: false,
          uniforms: this.uniforms,
        }),
    );
    this.mesh = new THREE.Mesh(this.geometry, this.materials[SHADER_MODE.image]);
    this.mesh.frustumCulled = false;
    this.scene.add(this.mesh);
    // Compiling every mode's program now keeps the first switch to a mode instant.
    for (const material of this.materials) {
      this.mesh.material = material;
      this.renderer.compile(this.scene, this.camera);
    }
    this.mesh.material = this.materials[SHADER_MODE.image]!;
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(host);
    this.canvas.addEventListener('wheel', this.onWheel, { passive: false });
    this.canvas.addEventListener('pointerdown', this.onPointerDown);
    this.canvas.addEventListener('pointermove', this.onPointerMove);
    this.canvas.addEventListener('pointerup', this.onPointerUp);
    this.canvas.addEventListener('pointercancel', this.onPointerUp);
    this.canvas.addEventListener('pointerleave', this.onPointerLeave);
    this.resize();
  }

  setLayers(layers: PaneLayers | null): void {
    if (layers === this.layers) return;
    this.layers = layers;
    this.requestRender();
  }

  setStyle(style: PaneStyle): void {
    const s = this.style;
    if (
      s.mode === style.mode &&
      s.opacity === style.opacity &&
      s.model === style.model &&
      s.visibleClasses === style.visibleClasses &&
      s.split === style.split
    ) {
      return;
    }
    this.style = style;
    this.requestRender();
  }

  setView(view: ViewTransform): void {
    if (view.cx === this.view.cx && view.cy === this.view.cy && view.zoom === this.view.zoom) return;
    this.view = view;
    this.requestRender();
  }

  getView(): ViewTransform {
    return this.view;
  }

  /** Image pixel under a point given in CSS pixels relative to the canvas. */
  imagePixelAt(cssX: number, cssY: number): { x: number; y: number } | null {
    const p = this.placementCss();
    if (!p || !this.layers) return null;
    const { x, y } = canvasToImage(p, cssX, cssY);
    const { width, height } = this.layers.image;
    if (x < 0 || y < 0 || x >= width || y >= height) return null;
    return { x: Math.floor(x), y: Math.floor(y) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener('wheel', this.onWheel);
    this.textures.dispose();
    this.palette.dispose();
    for (const material of this.materials) material.dispose();
    this.geometry.dispose();
    this.renderer.dispose();
    // Frees the context now rather than at garbage collection: Chromium caps live contexts.
    this.renderer.forceContextLoss();
    this.canvas.remove();
  }

  /**
   * Draws once after the current task's changes, however many there were. A microtask
   * rather than an animation frame: a frame switch then reaches the screen in the paint
   * that follows the key press instead of one frame later, and input events that move the
   * view (pointer, wheel) already arrive at most once per frame in Chromium.
   */
  private requestRender(): void {
    if (this.drawQueued || this.disposed) return;
    this.drawQueued = true;
    queueMicrotask(() => {
      this.drawQueued = false;
      if (!this.disposed) this.draw();
    });
  }

  private draw(): void {
    const u = this.uniforms;
    const layers = this.layers;
    const dpr = this.renderer.getPixelRatio();
    const bufferWidth = this.cssSize.width * dpr;
    const bufferHeight = this.cssSize.height * dpr;
    u.uBufferHeight!.value = bufferHeight;
    u.uSplitX!.value = this.style.split * bufferWidth;
    u.uOpacity!.value = this.style.opacity;
    u.uVisible!.value = this.style.visibleClasses >>> 0;
    this.clearToBackground();
    if (layers) {
      const { width, height } = layers.image;
      const p = placement(this.view, { width, height }, { width: bufferWidth, height: bufferHeight });
      this.scissorTo(p, width, height, bufferWidth, bufferHeight, dpr);
      (u.uImageSize!.value as THREE.Vector2).set(width, height);
      u.uScale!.value = p.scale;
      (u.uOffset!.value as THREE.Vector2).set(p.offsetX, p.offsetY);
      u.uImage!.value = this.textures.image(layers.image);
      this.mesh.material = this.materials[this.bindModeLayers(layers)]!;
      this.renderer.render(this.scene, this.camera);
    }
    this.renderSeq++;
    this.canvas.dataset.renderSeq = String(this.renderSeq);
    this.canvas.dataset.frameId = layers ? String(layers.frameId) : '';
    // Lets tests and the pan benchmark see that a view change uploaded no texture.
    this.canvas.dataset.textureUploads = String(this.textures.uploads);
    this.events.onRendered?.(layers?.frameId ?? null);
  }

  /**
   * Software GPUs (SwiftShader) pay per shaded pixel, and a letterboxed frame leaves much
   * of the pane empty: clearing is far cheaper than running the shader there.
   */
  private clearToBackground(): void {
    const gl = this.renderer.getContext();
    this.renderer.setScissorTest(false);
    gl.clearColor(BACKGROUND_RGB[0] / 255, BACKGROUND_RGB[1] / 255, BACKGROUND_RGB[2] / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }

  /** Limits shading to the pixels the image covers (the shader still tests each one). */
  private scissorTo(p: Placement, width: number, height: number, bufferWidth: number, bufferHeight: number, dpr: number): void {
    const x0 = Math.max(0, Math.floor(p.offsetX));
    const x1 = Math.min(bufferWidth, Math.ceil(p.offsetX + width * p.scale));
    const top = Math.max(0, Math.floor(p.offsetY));
    const bottom = Math.min(bufferHeight, Math.ceil(p.offsetY + height * p.scale));
    // setScissor takes CSS pixels from the bottom-left corner.
    this.renderer.setScissor(x0 / dpr, (bufferHeight - bottom) / dpr, Math.max(0, x1 - x0) / dpr, Math.max(0, bottom - top) / dpr);
    this.renderer.setScissorTest(true);
  }

  /** Binds the layers the style's mode draws and says which program draws them. */
  private bindModeLayers(layers: PaneLayers): ShaderMode {
    const u = this.uniforms;
    const { mode, model } = this.style;
    const pick = <T>(a: T, b: T): T => (model === 'a' ? a : b);
    let shaderMode: ShaderMode = SHADER_MODE.image;
    let maskA: GreyImage | null = null;
    let maskB: GreyImage | null = null;
    let heat: GreyImage | null = null;
    switch (mode) {
      case 'image':
        break;
      case 'mask':
        shaderMode = SHADER_MODE.mask;
        maskA = pick(layers.maskA, layers.maskB);
        break;
      case 'groundTruth':
        shaderMode = SHADER_MODE.mask;
        maskA = layers.label;
        break;
      case 'split':
      case 'disagreement':
        shaderMode = mode === 'split' ? SHADER_MODE.split : SHADER_MODE.disagreement;
        maskA = layers.maskA;
        maskB = layers.maskB;
        break;
      case 'confidence':
        shaderMode = SHADER_MODE.heat;
        heat = pick(layers.confidenceA, layers.confidenceB);
        break;
      case 'entropy':
        shaderMode = SHADER_MODE.heat;
        heat = pick(layers.entropyA, layers.entropyB);
        break;
      case 'synthetic':
        shaderMode = SHADER_MODE.heat;
        heat = layers.synthetic;
        break;
    }
    // A mode whose layers this frame lacks shows the plain image (the pane says why).
    const missing =
      ((shaderMode === SHADER_MODE.mask || shaderMode === SHADER_MODE.split || shaderMode === SHADER_MODE.disagreement) && !maskA) ||
      ((shaderMode === SHADER_MODE.split || shaderMode === SHADER_MODE.disagreement) && !maskB) ||
      (shaderMode === SHADER_MODE.heat && !heat);
    if (missing) return SHADER_MODE.image;
    // Samplers must always hold a texture of their declared kind, even where unused.
    u.uMaskA!.value = this.textures.grey(maskA, 'class');
    u.uMaskB!.value = this.textures.grey(maskB, 'class');
    u.uHeat!.value = this.textures.grey(heat, 'scalar');
    (u.uMaskSizeA!.value as THREE.Vector2).set(maskA?.width ?? 1, maskA?.height ?? 1);
    (u.uMaskSizeB!.value as THREE.Vector2).set(maskB?.width ?? 1, maskB?.height ?? 1);
    return shaderMode;
  }

  private resize(): void {
    const width = Math.max(1, this.host.clientWidth);
    const height = Math.max(1, this.host.clientHeight);
    if (width === this.cssSize.width && height === this.cssSize.height) return;
    this.cssSize = { width, height };
    this.renderer.setSize(width, height, false);
    this.requestRender();
  }

  private placementCss(): Placement | null {
    if (!this.layers) return null;
    const { width, height } = this.layers.image;
    return placement(this.view, { width, height }, this.cssSize);
  }

  private readonly onWheel = (event: WheelEvent): void => {
    if (!this.layers) return;
    event.preventDefault();
    const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    const { width, height } = this.layers.image;
    const next = zoomAt(this.view, ZOOM_PER_WHEEL_PIXEL ** -delta, event.offsetX, event.offsetY, { width, height }, this.cssSize);
    this.events.onViewChange?.(next);
  };

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0 || !this.layers) return;
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // A synthetic pointer (the pan benchmark's) cannot be captured; the drag still works.
    }
    this.drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    if (this.drag && this.drag.id === event.pointerId && this.layers) {
      const dx = event.clientX - this.drag.x;
      const dy = event.clientY - this.drag.y;
      this.drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      const { width, height } = this.layers.image;
      this.events.onViewChange?.(panBy(this.view, dx, dy, { width, height }, this.cssSize));
    }
    this.events.onHover?.(this.imagePixelAt(event.offsetX, event.offsetY));
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    if (this.drag?.id === event.pointerId) this.drag = null;
  };

  private readonly onPointerLeave = (): void => {
    if (!this.drag) this.events.onHover?.(null);
  };
}
