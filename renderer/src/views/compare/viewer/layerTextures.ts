import * as THREE from 'three';
import { IGNORE_TRAIN_ID, TRAIN_CLASSES } from '../../../../../common/classes';
import type { GreyImage } from './greyPng';

/**
 * GPU memory kept for recently shown layers, so stepping back and forth uploads nothing:
 * about 170 frames at 1024x512 (image and two masks), or 10 at 4K.
 */
const BUDGET_BYTES = 512 * 1024 * 1024;

/** Bound where a mode's layer is missing: samplers must always hold a texture of their kind. */
const STAND_IN: GreyImage = { width: 1, height: 1, data: new Uint8Array([IGNORE_TRAIN_ID]) };

/**
 * The GPU copies of one viewer's layers, created (uploaded) on first use and disposed in
 * least-recently-used order. Everything else the viewer changes is a uniform.
 */
export class LayerTextures {
  private readonly textures = new Map<object, { texture: THREE.Texture; bytes: number }>();
  private bytes = 0;
  private readonly scalarKeys = new WeakMap<GreyImage, object>();
  /** Textures created so far; a pan or zoom must not add to it. */
  uploads = 0;

  image(bitmap: ImageBitmap): THREE.Texture {
    return this.get(bitmap, bitmap.width * bitmap.height * 4, () => imageTexture(bitmap));
  }

  /** Class masks are integer textures, scalar maps normalised ones: one image may be either. */
  grey(image: GreyImage | null, kind: 'class' | 'scalar'): THREE.Texture {
    const source = image ?? STAND_IN;
    let key: object = source;
    if (kind === 'scalar') {
      key = this.scalarKeys.get(source) ?? {};
      this.scalarKeys.set(source, key);
    }
    return this.get(key, source.data.length, () => greyTexture(source, kind));
  }

  dispose(): void {
    for (const { texture } of this.textures.values()) texture.dispose();
    this.textures.clear();
    this.bytes = 0;
  }

  private get(key: object, bytes: number, make: () => THREE.Texture): THREE.Texture {
    const cached = this.textures.get(key);
    if (cached) {
      // Re-inserting keeps the map in least-recently-used order.
      this.textures.delete(key);
      this.textures.set(key, cached);
      return cached.texture;
    }
    const texture = make();
    this.uploads++;
    this.textures.set(key, { texture, bytes });
    this.bytes += bytes;
    // The newest entry is never evicted: it is about to be drawn.
    for (const [oldKey, old] of this.textures) {
      if (this.bytes <= BUDGET_BYTES || oldKey === key) break;
      this.textures.delete(oldKey);
      this.bytes -= old.bytes;
      old.texture.dispose();
    }
    return texture;
  }
}

/** trainId → colour, read with texelFetch; ids past the 19 classes stay transparent black. */
export function paletteTexture(): THREE.DataTexture {
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
  // The image goes to the screen as stored: no decode to linear and back.
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
