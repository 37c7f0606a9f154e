/**
 * The compare pane's one shader. Masks are R8UI class-index textures read with nearest
 * sampling (no filtering can blend two class ids into a third) and coloured through a 256x1
 * palette; class visibility is a bitmask uniform. So opacity, class toggles, modes and
 * pan/zoom change uniforms (or pick another ready program): nothing is re-uploaded.
 *
 * Under SwiftShader every instruction is paid per pixel, so the shader does no work the
 * viewer can do once per draw: the scissor rectangle is exactly the pixels whose centres
 * lie on the image (no inside test here), and split-swipe is the mask program drawn twice,
 * each model's mask scissored to its side of the divider (one mask read a pixel, not two).
 */

/** Values of the MODE define: one compiled program each. */
export const SHADER_MODE = { image: 0, mask: 1, disagreement: 2, heat: 3 } as const;
export type ShaderMode = (typeof SHADER_MODE)[keyof typeof SHADER_MODE];

/** Disagreeing pixels in disagreement mode (pure magenta-pink reads on any scene). */
export const HIGHLIGHT_RGB: readonly [number, number, number] = [255, 46, 136];
/** Canvas outside the image. */
export const BACKGROUND_RGB: readonly [number, number, number] = [11, 12, 16];

export const VERTEX_SHADER = /* glsl */ `
in vec3 position;
void main() {
  gl_Position = vec4(position.xy, 0.0, 1.0);
}
`;

/**
 * One program per mode (MODE is #defined): SwiftShader, the software GPU of headless
 * Chromium and of machines without one, runs every branch of a shader for every pixel, so
 * a single program with a uniform mode switch costs all modes at once. Switching program
 * is as cheap as switching a uniform once each variant has compiled (they are compiled
 * up front).
 */
export const FRAGMENT_SHADER = /* glsl */ `
precision highp float;
precision highp int;
precision highp usampler2D;

uniform sampler2D uImage;
uniform usampler2D uMaskA;
uniform usampler2D uMaskB;
uniform sampler2D uHeat;
uniform sampler2D uPalette;
uniform uint uVisible;
uniform float uOpacity;
// Image coordinates (0..1, top row first) of a pixel: gl_FragCoord.xy * uUvScale + uUvOffset.
// Pan and zoom land here, worked out once per draw rather than once per pixel.
uniform vec2 uUvScale;
uniform vec2 uUvOffset;
uniform vec3 uHighlight;

out vec4 fragColor;

// Nearest sampling picks texel floor(uv * size), clamped to the edge, as texelFetch with
// that index would, in fewer instructions (about 10% of a mask draw under SwiftShader).
uint classAt(usampler2D mask, vec2 uv) {
  return texture(mask, uv).r;
}

bool isVisible(uint c) {
  return c < 32u && ((uVisible >> c) & 1u) == 1u;
}

vec3 overlay(vec3 base, uint c) {
  if (!isVisible(c)) return base;
  return mix(base, texelFetch(uPalette, ivec2(int(c), 0), 0).rgb, uOpacity);
}

#if MODE == 3
// Turbo colour map, polynomial fit (Mikhailov, Google AI, 2019).
vec3 turbo(float x) {
  const vec4 r4 = vec4(0.13572138, 4.61539260, -42.66032258, 132.13108234);
  const vec4 g4 = vec4(0.09140261, 2.19418839, 4.84296658, -14.18503333);
  const vec4 b4 = vec4(0.10667330, 12.64194608, -60.58204836, 110.36276771);
  const vec2 r2 = vec2(-152.94239396, 59.28637943);
  const vec2 g2 = vec2(4.27729857, 2.82956604);
  const vec2 b2 = vec2(-89.90310912, 27.34824973);
  x = clamp(x, 0.0, 1.0);
  vec4 v4 = vec4(1.0, x, x * x, x * x * x);
  vec2 v2 = v4.zw * v4.z;
  return clamp(vec3(dot(v4, r4) + dot(v2, r2), dot(v4, g4) + dot(v2, g2), dot(v4, b4) + dot(v2, b2)), 0.0, 1.0);
}
#endif

void main() {
  vec2 uv = gl_FragCoord.xy * uUvScale + uUvOffset;
  vec3 base = texture(uImage, uv).rgb;
#if MODE == 1
  vec3 colour = overlay(base, classAt(uMaskA, uv));
#elif MODE == 2
  // Agreement fades to a dim grey image so only the disagreement carries colour.
  vec3 colour = vec3(dot(base, vec3(0.299, 0.587, 0.114)) * 0.45);
  uint a = classAt(uMaskA, uv);
  uint b = classAt(uMaskB, uv);
  if (a != b && (isVisible(a) || isVisible(b))) colour = mix(colour, uHighlight, uOpacity);
#elif MODE == 3
  vec3 colour = mix(base, turbo(texture(uHeat, uv).r), uOpacity);
#else
  vec3 colour = base;
#endif
  fragColor = vec4(colour, 1.0);
}
`;

/** The same turbo map on the CPU, for colour bars drawn in CSS. */
export function turboRgb(x: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, x));
  const poly = (c: readonly number[]) =>
    c[0]! + c[1]! * t + c[2]! * t * t + c[3]! * t ** 3 + c[4]! * t ** 4 + c[5]! * t ** 5;
  const channel = (c: readonly number[]) => Math.round(255 * Math.min(1, Math.max(0, poly(c))));
  return [
    channel([0.13572138, 4.6153926, -42.66032258, 132.13108234, -152.94239396, 59.28637943]),
    channel([0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604]),
    channel([0.1066733, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]),
  ];
}
