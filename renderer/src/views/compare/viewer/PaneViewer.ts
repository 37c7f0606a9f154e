import * as THREE from 'three';
import type { PaneMode } from '../../../store/compareSlice';
import type { GreyImage } from './greyPng';
import { LayerTextures, paletteTexture } from './layerTextures';
import { BACKGROUND_RGB, FRAGMENT_SHADER, HIGHLIGHT_RGB, SHADER_MODE, VERTEX_SHADER, type ShaderMode } from './shaders';
import { FIT, canvasToImage, imageSpan, panBy, placement, zoomAt, type PixelRect, type Placement, type ViewTransform } from './viewTransform';

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
      uVisible: { value: 0 },
      uOpacity: { value: 1 },
      uUvScale: { value: new THREE.Vector2(1, 1) },
      uUvOffset: { value: new THREE.Vector2(0, 0) },
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

  /**
   * Uploads the textures `layers` would draw in the current mode without drawing them, so
   * that a later switch onto that frame costs a draw only (a 1024x512 frame's image and
   * masks take longer to upload than to draw under SwiftShader).
   */
  preload(layers: PaneLayers): void {
    if (this.disposed) return;
    const pass = this.modePass(layers);
    this.renderer.initTexture(this.textures.image(layers.image));
    for (const mask of [pass.maskA, pass.maskB]) if (mask) this.renderer.initTexture(this.textures.grey(mask, 'class'));
    if (pass.heat) this.renderer.initTexture(this.textures.grey(pass.heat, 'scalar'));
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
    queueMicrotask(() => this.renderPending());
  }

  /**
   * Draws now if a change is waiting. The owner calls it once it has fed every change of
   * its commit, so a frame switch is on its way to the GPU before the rest of the page's
   * work for that commit (the other pane, effects, layout) rather than after it.
   */
  renderPending(): void {
    if (!this.drawQueued || this.disposed) return;
    this.drawQueued = false;
    this.draw();
  }

  private draw(): void {
    const u = this.uniforms;
    const layers = this.layers;
    const dpr = this.renderer.getPixelRatio();
    const buffer = { width: this.cssSize.width * dpr, height: this.cssSize.height * dpr };
    u.uOpacity!.value = this.style.opacity;
    u.uVisible!.value = this.style.visibleClasses >>> 0;
    this.clearToBackground();
    if (layers) {
      const { width, height } = layers.image;
      const p = placement(this.view, { width, height }, buffer);
      (u.uUvScale!.value as THREE.Vector2).set(1 / (p.scale * width), -1 / (p.scale * height));
      (u.uUvOffset!.value as THREE.Vector2).set(-p.offsetX / (p.scale * width), (buffer.height - p.offsetY) / (p.scale * height));
      u.uImage!.value = this.textures.image(layers.image);
      const span = imageSpan(p, width, height, buffer);
      const pass = this.modePass(layers);
      if (pass.split) {
        // Columns whose centres lie left of the divider show source-only, the rest adapted.
        const divider = Math.min(span.right, Math.max(span.left, Math.ceil(this.style.split * buffer.width - 0.5)));
        this.drawPass(SHADER_MODE.mask, pass.maskA, null, null, { ...span, right: divider }, buffer.height, dpr);
        this.drawPass(SHADER_MODE.mask, pass.maskB, null, null, { ...span, left: divider }, buffer.height, dpr);
      } else {
        this.drawPass(pass.mode, pass.maskA, pass.maskB, pass.heat, span, buffer.height, dpr);
      }
      // Hands the commands to the GPU process now, so it shades while this task goes on
      // (the other pane, React's effects, layout) instead of once the task has ended.
      this.renderer.getContext().flush();
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

  /** Shades the pixels of `rect` (buffer pixels, top row first) with one program. */
  private drawPass(
    mode: ShaderMode,
    maskA: GreyImage | null,
    maskB: GreyImage | null,
    heat: GreyImage | null,
    rect: PixelRect,
    bufferHeight: number,
    dpr: number,
  ): void {
    if (rect.right <= rect.left || rect.bottom <= rect.top) return;
    const u = this.uniforms;
    // Samplers must always hold a texture of their declared kind, even where unused.
    u.uMaskA!.value = this.textures.grey(maskA, 'class');
    u.uMaskB!.value = this.textures.grey(maskB, 'class');
    u.uHeat!.value = this.textures.grey(heat, 'scalar');
    // setScissor takes CSS pixels from the bottom-left corner.
    const { left, right, top, bottom } = rect;
    this.renderer.setScissor(left / dpr, (bufferHeight - bottom) / dpr, (right - left) / dpr, (bottom - top) / dpr);
    this.renderer.setScissorTest(true);
    this.mesh.material = this.materials[mode]!;
    this.renderer.render(this.scene, this.camera);
  }

  /** The layers the style's mode draws, and with which program (split: the mask one, twice). */
  private modePass(layers: PaneLayers): ModePass {
    const { mode, model } = this.style;
    const pick = <T>(a: T, b: T): T => (model === 'a' ? a : b);
    const plain: ModePass = { mode: SHADER_MODE.image, split: false, maskA: null, maskB: null, heat: null };
    let pass = plain;
    switch (mode) {
      case 'image':
        break;
      case 'mask':
        pass = { ...plain, mode: SHADER_MODE.mask, maskA: pick(layers.maskA, layers.maskB) };
        break;
      case 'groundTruth':
        pass = { ...plain, mode: SHADER_MODE.mask, maskA: layers.label };
        break;
      case 'split':
      case 'disagreement':
        pass = { ...plain, mode: SHADER_MODE.disagreement, split: mode === 'split', maskA: layers.maskA, maskB: layers.maskB };
        break;
      case 'confidence':
        pass = { ...plain, mode: SHADER_MODE.heat, heat: pick(layers.confidenceA, layers.confidenceB) };
        break;
      case 'entropy':
        pass = { ...plain, mode: SHADER_MODE.heat, heat: pick(layers.entropyA, layers.entropyB) };
        break;
      case 'synthetic':
        pass = { ...plain, mode: SHADER_MODE.heat, heat: layers.synthetic };
        break;
    }
    // A mode whose layers this frame lacks shows the plain image (the pane says why).
    const missing =
      ((pass.mode === SHADER_MODE.mask || pass.mode === SHADER_MODE.disagreement) && !pass.maskA) ||
      (pass.mode === SHADER_MODE.disagreement && !pass.maskB) ||
      (pass.mode === SHADER_MODE.heat && !pass.heat);
    return missing ? plain : pass;
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

interface ModePass {
  readonly mode: ShaderMode;
  /** Split-swipe: maskA left of the divider, maskB right of it. */
  readonly split: boolean;
  readonly maskA: GreyImage | null;
  readonly maskB: GreyImage | null;
  readonly heat: GreyImage | null;
}
