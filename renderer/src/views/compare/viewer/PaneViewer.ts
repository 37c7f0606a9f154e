import * as THREE from 'three';
import { IGNORE_TRAIN_ID, TRAIN_CLASSES } from '../../../../../common/classes';
import type { PaneMode } from '../../../store/compareSlice';
import type { GreyImage } from './greyPng';
import { BACKGROUND_RGB, FRAGMENT_SHADER, HIGHLIGHT_RGB, SHADER_MODE, VERTEX_SHADER } from './shaders';
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
/** GPU textures kept for recently shown layers, so stepping back and forth uploads nothing. */
const TEXTURE_CACHE_SIZE = 48;

/**
 * One compare pane: a three.js renderer drawing a single full-canvas triangle through the
 * compare shader. React mounts it on a host element, feeds it layers, style and view, and
 * disposes it; it draws only when one of those changed (one draw per animation frame at
 * most), the way foxglove's ThreeDeeRender renders on demand.
 */
export class PaneViewer {
  readonly canvas: HTMLCanvasElement;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.Camera();
  private readonly material: THREE.RawShaderMaterial;
  private readonly geometry: THREE.BufferGeometry;
  private readonly palette: THREE.DataTexture;
  private readonly textures = new Map<object, THREE.Texture>();
  private readonly resizeObserver: ResizeObserver;
  private layers: PaneLayers | null = null;
  private style: PaneStyle = { mode: 'image', opacity: 0.6, model: 'a', visibleClasses: 0x7ffff, split: 0.5 };
  private view: ViewTransform = FIT;
  private cssSize = { width: 1, height: 1 };
  private frameRequest = 0;
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
    // preserveDrawingBuffer lets tests and screenshots read back what is on screen.
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio);
    this.palette = paletteTexture();
    this.geometry = new THREE.BufferGeometry();
    this.geometry.setAttribute('position', new THREE.Float32BufferAttribute([-1, -1, 0, 3, -1, 0, -1, 3, 0], 3));
    this.material = new THREE.RawShaderMaterial({
      glslVersion: THREE.GLSL3,
      vertexShader: VERTEX_SHADER,
      fragmentShader: FRAGMENT_SHADER,
      depthTest: false,
      depthWrite: false,
      uniforms: {
        uImage: { value: null },
        uMaskA: { value: null },
        uMaskB: { value: null },
        uHeat: { value: null },
        uPalette: { value: this.palette },
        uHasImage: { value: false },
        uHasA: { value: false },
        uHasB: { value: false },
        uHasHeat: { value: false },
        uMode: { value: SHADER_MODE.image },
        uVisible: { value: 0 },
        uOpacity: { value: 1 },
        uSplitX: { value: 0 },
        uImageSize: { value: new THREE.Vector2(1, 1) },
        uScale: { value: 1 },
        uOffset: { value: new THREE.Vector2(0, 0) },
        uBufferHeight: { value: 1 },
        uBackground: { value: new THREE.Vector3(...BACKGROUND_RGB.map((c) => c / 255)) },
        uHighlight: { value: new THREE.Vector3(...HIGHLIGHT_RGB.map((c) => c / 255)) },
      },
    });
    const mesh = new THREE.Mesh(this.geometry, this.material);
    mesh.frustumCulled = false;
    this.scene.add(mesh);
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
    cancelAnimationFrame(this.frameRequest);
    this.resizeObserver.disconnect();
    this.canvas.removeEventListener('wheel', this.onWheel);
    for (const texture of this.textures.values()) texture.dispose();
    this.textures.clear();
    this.palette.dispose();
    this.material.dispose();
    this.geometry.dispose();
    this.renderer.dispose();
    // Frees the context now rather than at garbage collection: Chromium caps live contexts.
    this.renderer.forceContextLoss();
    this.canvas.remove();
  }

  private requestRender(): void {
    if (this.frameRequest !== 0 || this.disposed) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      this.draw();
    });
  }

  private draw(): void {
    const u = this.material.uniforms;
    const layers = this.layers;
    const dpr = this.renderer.getPixelRatio();
    const bufferWidth = this.cssSize.width * dpr;
    const bufferHeight = this.cssSize.height * dpr;
    u.uBufferHeight!.value = bufferHeight;
    u.uSplitX!.value = this.style.split * bufferWidth;
    u.uOpacity!.value = this.style.opacity;
    u.uVisible!.value = this.style.visibleClasses >>> 0;
    if (layers) {
      const { width, height } = layers.image;
      const p = placement(this.view, { width, height }, { width: bufferWidth, height: bufferHeight });
      (u.uImageSize!.value as THREE.Vector2).set(width, height);
      u.uScale!.value = p.scale;
      (u.uOffset!.value as THREE.Vector2).set(p.offsetX, p.offsetY);
      u.uImage!.value = this.texture(layers.image);
      u.uHasImage!.value = true;
      this.bindModeLayers(layers);
    } else {
      // Nothing to show: the whole canvas falls outside a 0x0 image and draws background.
      (u.uImageSize!.value as THREE.Vector2).set(0, 0);
      u.uHasImage!.value = false;
      u.uHasA!.value = u.uHasB!.value = u.uHasHeat!.value = false;
      u.uMode!.value = SHADER_MODE.image;
    }
    this.renderer.render(this.scene, this.camera);
    this.renderSeq++;
    this.canvas.dataset.renderSeq = String(this.renderSeq);
    this.canvas.dataset.frameId = layers ? String(layers.frameId) : '';
    this.events.onRendered?.(layers?.frameId ?? null);
  }

  private bindModeLayers(layers: PaneLayers): void {
    const u = this.material.uniforms;
    const { mode, model } = this.style;
    const pick = <T>(a: T, b: T): T => (model === 'a' ? a : b);
    let shaderMode: number = SHADER_MODE.image;
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
    u.uMode!.value = shaderMode;
    u.uHasA!.value = maskA !== null;
    u.uHasB!.value = maskB !== null;
    u.uHasHeat!.value = heat !== null;
    // Samplers must always point at a texture of the declared kind, even when unused.
    u.uMaskA!.value = this.texture(maskA ?? EMPTY_MASK, 'class');
    u.uMaskB!.value = this.texture(maskB ?? EMPTY_MASK, 'class');
    u.uHeat!.value = this.texture(heat ?? EMPTY_MASK, 'scalar');
  }

  /** The GPU copy of a layer, uploaded on first use and kept while it stays recent. */
  private texture(source: ImageBitmap): THREE.Texture;
  private texture(source: GreyImage, kind: 'class' | 'scalar'): THREE.Texture;
  private texture(source: ImageBitmap | GreyImage, kind?: 'class' | 'scalar'): THREE.Texture {
    const key = kind === 'scalar' ? scalarKey(source as GreyImage) : source;
    let texture = this.textures.get(key);
    if (texture) {
      // Re-inserting keeps the map in least-recently-used order.
      this.textures.delete(key);
      this.textures.set(key, texture);
      return texture;
    }
    texture = source instanceof ImageBitmap ? imageTexture(source) : greyTexture(source, kind ?? 'class');
    this.textures.set(key, texture);
    if (this.textures.size > TEXTURE_CACHE_SIZE) {
      const [oldestKey, oldest] = this.textures.entries().next().value!;
      this.textures.delete(oldestKey);
      oldest.dispose();
    }
    return texture;
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
    this.canvas.setPointerCapture(event.pointerId);
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

const EMPTY_MASK: GreyImage = { width: 1, height: 1, data: new Uint8Array([IGNORE_TRAIN_ID]) };
/** One GreyImage may serve as a class mask and (for the empty one) as a scalar map. */
const scalarKeys = new WeakMap<GreyImage, object>();
function scalarKey(image: GreyImage): object {
  let key = scalarKeys.get(image);
  if (!key) scalarKeys.set(image, (key = {}));
  return key;
}

function paletteTexture(): THREE.DataTexture {
  const rgba = new Uint8Array(256 * 4);
  for (const c of TRAIN_CLASSES) rgba.set([...c.colour, 255], c.trainId * 4);
  const texture = new THREE.DataTexture(rgba, 256, 1, THREE.RGBAFormat, THREE.UnsignedByteType);
  texture.minFilter = texture.magFilter = THREE.NearestFilter;
  texture.needsUpdate = true;
  return texture;
}

function imageTexture(bitmap: ImageBitmap): THREE.Texture {
  const texture = new THREE.Texture(bitmap);
  texture.flipY = false;
  texture.colorSpace = THREE.NoColorSpace;
  texture.generateMipmaps = false;
  texture.minFilter = THREE.LinearFilter;
  texture.magFilter = THREE.LinearFilter;
  texture.needsUpdate = true;
  return texture;
}

function greyTexture(image: GreyImage, kind: 'class' | 'scalar'): THREE.DataTexture {
  const texture =
    kind === 'class'
      ? new THREE.DataTexture(image.data, image.width, image.height, THREE.RedIntegerFormat, THREE.UnsignedByteType)
      : new THREE.DataTexture(image.data, image.width, image.height, THREE.RedFormat, THREE.UnsignedByteType);
  texture.internalFormat = kind === 'class' ? 'R8UI' : 'R8';
  // Class ids must never be interpolated; scalar maps may be, they are smooth fields.
  texture.minFilter = texture.magFilter = kind === 'class' ? THREE.NearestFilter : THREE.LinearFilter;
  texture.generateMipmaps = false;
  texture.unpackAlignment = 1;
  texture.needsUpdate = true;
  return texture;
}
