/**
 * The bad-input corpus: every case writes real files into a temp folder, and says what the app
 * must answer — the issue code and cause recorded against the file (datasets), or the error
 * code and cause a request gets (dataset folders, models, projects). This list is the manifest;
 * tests/unit/reliability/corpus.test.ts drives each case through the backend's dispatcher.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { ErrorCode } from '../../common/errors';
import { SCHEMA_VERSION } from '../../main/db/migrations';
import { openProjectDatabase } from '../../main/db/projectDatabase';
import { greyPng, photoJpeg, photoPng, photoWebp, put } from '../unit/datasets/helpers/fixtures';
import { encodePng, paletteOf } from '../unit/datasets/helpers/pngWrite';
import { model } from '../unit/inference/helpers';

export const W = 8;
export const H = 6;
/** Cityscapes labelId 7 (road) everywhere: a valid GTA5 label. */
export const roadLabel = () => greyPng(W, H, new Array(W * H).fill(7));

/** A file inside one GTA5-layout dataset folder; the scan must record `code` against `relPath`. */
export interface FileCase {
  readonly id: string;
  readonly what: string;
  /** Writes its files under the dataset root (images/…, labels/…). */
  build(root: string): Promise<void>;
  /** A pattern where the exact path depends on the temp folder's length. */
  readonly relPath: string | RegExp;
  readonly code: string;
  readonly cause: RegExp;
  /** Only meaningful where permissions hold (not as root without seteuid). */
  readonly needsPermissions?: boolean;
}

/** Input given to a request: `request(dir)` names the channel and payload; the reply must be this error. */
export interface RequestCase {
  readonly id: string;
  readonly area: 'dataset' | 'model' | 'project';
  readonly what: string;
  build(dir: string): Promise<{ channel: 'dataset:add' | 'models:import' | 'project:open'; payload: Record<string, unknown> }>;
  readonly code: ErrorCode;
  readonly cause: RegExp;
  readonly needsPermissions?: boolean;
}

/** PNG chunks by hand: a header may claim any size, which no encoder would write. */
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function rawPng(width: number, height: number, colourType: number, bitDepth: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG whose header claims 100000 x 100000 pixels over a few bytes of data: a decompression bomb. */
export const bombPng = () => rawPng(100_000, 100_000, 2, 8, deflateSync(Buffer.alloc(1024)));

/** A real 8x6 JPEG whose frame header is rewritten to claim `width` x `height`. */
export async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await photoJpeg(W, H));
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1]! >= 0xc0 && jpeg[i + 1]! <= 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no JPEG frame header found');
}

const pair = (name: string, image: () => Promise<Buffer> | Buffer, label: () => Promise<Buffer> | Buffer = roadLabel) => async (root: string) => {
  put(root, `images/${name}`, await image());
  put(root, `labels/${name.replace(/\.\w+$/, '.png')}`, await label());
};
const photo = () => photoPng(W, H);

export const FILE_CASES: readonly FileCase[] = [
  { id: 'png-truncated', what: 'PNG cut short', build: pair('cut.png', async () => (await photo()).subarray(0, 60)), relPath: 'images/cut.png', code: 'truncated', cause: /image: .*truncated/ },
  { id: 'jpeg-truncated', what: 'JPEG cut short', build: pair('cut_jpeg.jpg', async () => (await photoJpeg(W, H)).subarray(0, 200)), relPath: 'images/cut_jpeg.jpg', code: 'truncated', cause: /JPEG .*truncated/ },
  { id: 'webp-truncated', what: 'WebP cut short', build: pair('cut_webp.webp', async () => (await photoWebp(W, H)).subarray(0, 30)), relPath: 'images/cut_webp.webp', code: 'truncated', cause: /WebP .*truncated/ },
  { id: 'image-zero-bytes', what: 'zero-byte image', build: pair('zero.png', () => Buffer.alloc(0)), relPath: 'images/zero.png', code: 'empty', cause: /image: file is empty \(0 bytes\)/ },
  { id: 'label-zero-bytes', what: 'zero-byte label', build: pair('zerolabel.png', photo, () => Buffer.alloc(0)), relPath: 'images/zerolabel.png', code: 'empty', cause: /label labels\/zerolabel\.png: file is empty/ },
  { id: 'text-named-png', what: 'wrong extension: text in a .png', build: pair('text.png', () => Buffer.from('not a picture at all')), relPath: 'images/text.png', code: 'not_an_image', cause: /content is not PNG, JPEG or WebP/ },
  { id: 'png-named-bmp', what: 'wrong extension: an image as .bmp', build: async (root) => void put(root, 'images/photo.bmp', await photo()), relPath: 'images/photo.bmp', code: 'not_an_image', cause: /not a PNG, JPEG or WebP file; skipped/ },
  { id: 'jpeg-no-frame-header', what: 'JPEG with no frame header', build: pair('nosof.jpg', () => Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9])), relPath: 'images/nosof.jpg', code: 'not_an_image', cause: /JPEG without a frame header/ },
  { id: 'image-bomb', what: 'PNG image claiming 100000x100000', build: pair('bomb.png', bombPng), relPath: 'images/bomb.png', code: 'too_large', cause: /image: 100000x100000 is \d+ megapixels, more than the 67 megapixels this app decodes/ },
  { id: 'jpeg-bomb', what: 'JPEG claiming 16000x16000 (within libvips\' own limit)', build: pair('bomb16k.jpg', () => jpegClaiming(16000, 16000)), relPath: 'images/bomb16k.jpg', code: 'too_large', cause: /image: 16000x16000 is 256 megapixels/ },
  { id: 'label-bomb', what: 'label PNG claiming 100000x100000', build: pair('labelbomb.png', photo, bombPng), relPath: 'images/labelbomb.png', code: 'too_large', cause: /label labels\/labelbomb\.png: 100000x100000 .*decompression bomb/ },
  {
    id: 'label-zlib-bomb',
    what: 'an 8x6 label whose data inflates to 64 MB',
    build: pair('zlibbomb.png', photo, () => rawPng(W, H, 0, 8, deflateSync(Buffer.alloc(64 << 20), { level: 9 }))),
    relPath: 'images/zlibbomb.png',
    code: 'not_an_image',
    cause: /inflates to more than the image holds/,
  },
  { id: 'label-corrupt-data', what: 'label with garbage pixel data', build: pair('garbage.png', photo, () => rawPng(W, H, 0, 8, Buffer.from('definitely not zlib'))), relPath: 'images/garbage.png', code: 'not_an_image', cause: /does not inflate/ },
  { id: 'label-bad-header', what: 'label with an impossible colour type', build: pair('badhdr.png', photo, () => rawPng(W, H, 5, 8, deflateSync(Buffer.alloc(10)))), relPath: 'images/badhdr.png', code: 'not_an_image', cause: /invalid colour type 5/ },
  { id: 'label-truncated', what: 'label cut short', build: pair('cutlabel.png', photo, () => roadLabel().subarray(0, 50)), relPath: 'images/cutlabel.png', code: 'truncated', cause: /label labels\/cutlabel\.png: .*truncated/ },
  {
    id: 'label-16bit',
    what: '16-bit label where 8-bit labelIds are expected',
    build: pair('deep.png', photo, () => encodePng({ width: W, height: H, colourType: 0, bitDepth: 16, samples: new Array(W * H).fill(7 << 8) })),
    relPath: 'images/deep.png',
    code: 'unknown_label_values',
    cause: /1792 \(48 px\) \(a 16-bit label/,
  },
  {
    id: 'label-rgb-unknown',
    what: 'RGB label whose colours are not in the palette',
    build: pair('rgb.png', photo, () => encodePng({ width: W, height: H, colourType: 2, samples: new Array(W * H * 3).fill(0).map((_, i) => [1, 2, 3][i % 3]!) })),
    relPath: 'images/rgb.png',
    code: 'unknown_label_values',
    cause: /\(1,2,3\) \(48 px\)/,
  },
  {
    id: 'label-palette-unknown',
    what: 'palette label with undefined ids',
    build: pair('ids.png', photo, () => encodePng({ width: W, height: H, colourType: 3, samples: new Array(W * H).fill(7).map((v, i) => (i < 5 ? 40 : v)), palette: paletteOf([[0, 0, 0]]) })),
    relPath: 'images/ids.png',
    code: 'unknown_label_values',
    cause: /40 \(5 px\)/,
  },
  { id: 'size-mismatch', what: 'label larger than its image', build: pair('wide.png', () => photoPng(W + 2, H)), relPath: 'images/wide.png', code: 'size_mismatch', cause: /labels\/wide\.png is 8x6, the image is 10x6/ },
  { id: 'missing-label', what: 'image without a label', build: async (root) => void put(root, 'images/alone.png', await photo()), relPath: 'images/alone.png', code: 'missing_label', cause: /no label/ },
  { id: 'orphan-label', what: 'label without an image', build: async (root) => void put(root, 'labels/orphan.png', roadLabel()), relPath: 'labels/orphan.png', code: 'missing_image', cause: /label file without an image/ },
  { id: 'symlink-loop', what: 'folder link back to its parent', build: async (root) => symlinkSync(join(root, 'images'), join(root, 'images', 'loop')), relPath: 'images/loop', code: 'symlink_loop', cause: /a loop/ },
  { id: 'symlink-self', what: 'link to itself', build: async (root) => symlinkSync('self', join(root, 'images', 'self')), relPath: 'images/self', code: 'symlink_loop', cause: /loops back on itself/ },
  {
    id: 'symlink-outside',
    what: 'link to a file outside the dataset',
    build: async (root) => {
      put(join(root, '..'), 'outside.png', await photo());
      symlinkSync(join(root, '..', 'outside.png'), join(root, 'images', 'escape.png'));
    },
    relPath: 'images/escape.png',
    code: 'outside_root',
    cause: /outside the dataset folder/,
  },
  { id: 'symlink-dangling', what: 'link to nothing', build: async (root) => symlinkSync(join(root, 'gone.png'), join(root, 'images', 'dangling.png')), relPath: 'images/dangling.png', code: 'unreadable', cause: /broken symbolic link \(ENOENT\)/ },
  {
    id: 'image-unreadable',
    what: 'image without read permission',
    build: async (root) => {
      await pair('locked.png', photo)(root);
      chmodSync(join(root, 'images', 'locked.png'), 0o000);
    },
    relPath: 'images/locked.png',
    code: 'unreadable',
    cause: /EACCES/,
    needsPermissions: true,
  },
  {
    id: 'label-unreadable',
    what: 'label without read permission',
    build: async (root) => {
      await pair('lockedlabel.png', photo)(root);
      chmodSync(join(root, 'labels', 'lockedlabel.png'), 0o000);
    },
    relPath: 'images/lockedlabel.png',
    code: 'unreadable',
    cause: /label labels\/lockedlabel\.png: cannot read \(EACCES\)/,
    needsPermissions: true,
  },
  {
    id: 'folder-unreadable',
    what: 'sub-folder without permissions',
    build: async (root) => {
      put(root, 'images/sealed/a.png', await photo());
      chmodSync(join(root, 'images', 'sealed'), 0o000);
    },
    relPath: 'images/sealed',
    code: 'unreadable',
    cause: /cannot list folder \(EACCES\)/,
    needsPermissions: true,
  },
  {
    id: 'name-not-utf8',
    what: 'file name that is not UTF-8',
    build: async (root) => writeFileSync(Buffer.concat([Buffer.from(join(root, 'images', 'f_')), Buffer.from([0xff, 0xfe]), Buffer.from('.png')]), await photo()),
    relPath: 'images/f_\uFFFD\uFFFD.png',
    code: 'bad_name',
    cause: /not valid UTF-8.*f_%FF%FE\.png/,
  },
  { id: 'name-backslash', what: 'file name with a backslash', build: async (root) => void put(root, 'images/back\\slash.png', await photo()), relPath: 'images/back\\slash.png', code: 'bad_name', cause: /backslash/ },
  {
    id: 'path-too-long',
    what: 'folder nested past PATH_MAX (4096 bytes)',
    build: async (root) => {
      // One level at a time, each relative to the last: no single path could name the deepest folder.
      const script = `process.chdir(process.argv[1]); for (let i = 0; i < 18; i++) { const s = String(i).padStart(2, '0') + 'd'.repeat(240); require('fs').mkdirSync(s); process.chdir(s); } require('fs').writeFileSync('frame.png', '')`;
      execFileSync(process.execPath, ['-e', script, join(root, 'images')]);
    },
    relPath: /^images\/00d{240}\/01d{240}\//,
    code: 'unreadable',
    cause: /ENAMETOOLONG/,
  },
  { id: 'fifo-named-png', what: 'a named pipe called .png', build: async (root) => void execFileSync('mkfifo', [join(root, 'images', 'pipe.png')]), relPath: 'images/pipe.png', code: 'unreadable', cause: /not a regular file \(a FIFO/ },
];

const tinySeg = () => model('tiny_seg.onnx');
const importOf = (path: string, extra: Record<string, unknown> = {}) => ({ channel: 'models:import' as const, payload: { path, ...extra } });
const addOf = (root: string) => ({ channel: 'dataset:add' as const, payload: { name: 'bad', role: 'sim', root } });
const openOf = (path: string) => ({ channel: 'project:open' as const, payload: { path } });

/** A real project folder with a few rows, for the project cases to damage. */
function project(dir: string, name: string): string {
  const at = join(dir, `${name}.s2r`);
  mkdirSync(join(at, 'cache'), { recursive: true });
  const db = openProjectDatabase(join(at, 'project.sqlite'));
  db.prepare("INSERT INTO project_meta (key, value) VALUES ('name', ?)").run(name);
  const insert = db.prepare("INSERT INTO datasets (name, role, root, format) VALUES (?, 'sim', ?, 'folder')");
  for (let i = 0; i < 400; i++) insert.run(`d${i}`, `/data/${i}/${'x'.repeat(200)}`);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return at;
}

export const REQUEST_CASES: readonly RequestCase[] = [
  { id: 'dataset-missing', area: 'dataset', what: 'folder that does not exist', build: async (d) => addOf(join(d, 'nowhere')), code: 'BAD_DATASET', cause: /nowhere: dataset folder not found/ },
  { id: 'dataset-is-file', area: 'dataset', what: 'a file given as the folder', build: async (d) => (put(d, 'file.png', await photo()), addOf(join(d, 'file.png'))), code: 'BAD_DATASET', cause: /file\.png: dataset folder is not a folder/ },
  { id: 'dataset-no-images', area: 'dataset', what: 'folder without any image', build: async (d) => (put(d, 'empty/readme.txt', 'hi'), addOf(join(d, 'empty'))), code: 'BAD_DATASET', cause: /empty: no PNG, JPEG or WebP images found/ },
  {
    id: 'dataset-bad-classes-json',
    area: 'dataset',
    what: 'generic dataset whose classes.json is not JSON',
    build: async (d) => {
      put(d, 'generic/images/a.png', await photo());
      put(d, 'generic/masks/a.png', roadLabel());
      put(d, 'generic/classes.json', '{ "mapping": ');
      return addOf(join(d, 'generic'));
    },
    code: 'BAD_DATASET',
    cause: /classes\.json: cannot read the class mapping/,
  },
  { id: 'dataset-path-too-long', area: 'dataset', what: 'a 5000-character path', build: async (d) => addOf(join(d, 'x'.repeat(5000))), code: 'BAD_REQUEST', cause: /root: .*4096/ },
  { id: 'dataset-path-nul', area: 'dataset', what: 'a path with a NUL byte', build: async (d) => addOf(`${d}/a\0b`), code: 'BAD_REQUEST', cause: /root: path contains a NUL byte/ },
  { id: 'model-not-onnx', area: 'model', what: 'text in a .onnx file', build: async () => importOf(model('not_onnx.onnx')), code: 'BAD_MODEL', cause: /^not_onnx\.onnx: not an ONNX model/ },
  { id: 'model-zero-bytes', area: 'model', what: 'zero-byte .onnx', build: async (d) => (put(d, 'zero.onnx', ''), importOf(join(d, 'zero.onnx'))), code: 'BAD_MODEL', cause: /^zero\.onnx: not an ONNX model/ },
  {
    id: 'model-truncated',
    area: 'model',
    what: 'ONNX file cut in half',
    build: async (d) => {
      const bytes = readFileSync(tinySeg());
      put(d, 'half.onnx', bytes.subarray(0, bytes.length >> 1));
      return importOf(join(d, 'half.onnx'));
    },
    code: 'BAD_MODEL',
    cause: /^half\.onnx: not an ONNX model/,
  },
  { id: 'model-png-renamed', area: 'model', what: 'a PNG renamed .onnx', build: async (d) => (put(d, 'picture.onnx', await photo()), importOf(join(d, 'picture.onnx'))), code: 'BAD_MODEL', cause: /^picture\.onnx: not an ONNX model/ },
  { id: 'model-wrong-rank', area: 'model', what: 'ONNX whose output is labels, not scores', build: async () => importOf(model('bad_rank.onnx')), code: 'BAD_MODEL', cause: /^bad_rank\.onnx: output "logits" has rank 3/ },
  { id: 'model-wrong-channels', area: 'model', what: 'ONNX with a one-channel input', build: async () => importOf(model('bad_channels.onnx')), code: 'BAD_MODEL', cause: /^bad_channels\.onnx: input "input" has 1 channel/ },
  { id: 'model-wrong-classes', area: 'model', what: 'ONNX with 7 output channels for 19 classes', build: async () => importOf(model('bad_classes.onnx')), code: 'BAD_MODEL', cause: /^bad_classes\.onnx: output "logits" has 7 channels but 19/ },
  {
    id: 'model-bad-card',
    area: 'model',
    what: 'model card that is not JSON',
    build: async (d) => {
      copyFileSync(tinySeg(), join(d, 'carded.onnx'));
      put(d, 'carded.card.json', '{ nope');
      return importOf(join(d, 'carded.onnx'));
    },
    code: 'BAD_MODEL',
    cause: /carded\.card\.json: model card is not valid JSON/,
  },
  { id: 'model-is-folder', area: 'model', what: 'a folder named .onnx', build: async (d) => (mkdirSync(join(d, 'dir.onnx')), importOf(join(d, 'dir.onnx'))), code: 'NOT_FOUND', cause: /dir\.onnx: not a file/ },
  { id: 'model-wrong-role', area: 'model', what: 'segmentation model imported as discriminator', build: async () => importOf(tinySeg(), { role: 'discriminator', name: 'fake' }), code: 'BAD_MODEL', cause: /^tiny_seg\.onnx: input "input" has 3 channels; a discriminator/ },
  {
    id: 'model-unreadable',
    area: 'model',
    what: 'model without read permission',
    build: async (d) => {
      copyFileSync(tinySeg(), join(d, 'locked.onnx'));
      chmodSync(join(d, 'locked.onnx'), 0o000);
      return importOf(join(d, 'locked.onnx'));
    },
    code: 'BAD_MODEL',
    cause: /locked\.onnx: cannot read the model file \(EACCES\)/,
    needsPermissions: true,
  },
  {
    id: 'project-newer-schema',
    area: 'project',
    what: 'project from a newer version',
    build: async (d) => {
      const at = project(d, 'future');
      const db = new Database(join(at, 'project.sqlite'));
      db.pragma(`user_version = ${SCHEMA_VERSION + 3}`);
      db.close();
      return openOf(at);
    },
    code: 'PROJECT_TOO_NEW',
    cause: /future\.s2r\/project\.sqlite: made by a newer Sim2Real Studio/,
  },
  {
    id: 'project-garbage',
    area: 'project',
    what: 'project.sqlite full of text',
    build: async (d) => (put(d, 'garbage.s2r/project.sqlite', 'not a database '.repeat(500)), openOf(join(d, 'garbage.s2r'))),
    code: 'PROJECT_CORRUPT',
    cause: /garbage\.s2r\/project\.sqlite: not a readable project database/,
  },
  {
    id: 'project-truncated',
    area: 'project',
    what: 'project.sqlite cut to a third',
    build: async (d) => {
      const file = join(project(d, 'cut'), 'project.sqlite');
      truncateSync(file, Math.floor(readFileSync(file).length / 3));
      return openOf(join(d, 'cut.s2r'));
    },
    code: 'PROJECT_CORRUPT',
    cause: /cut\.s2r\/project\.sqlite: .*(malformed|corrupt|damaged)/,
  },
  {
    id: 'project-scribbled',
    area: 'project',
    what: 'project.sqlite with pages overwritten',
    build: async (d) => {
      const file = join(project(d, 'scribbled'), 'project.sqlite');
      const bytes = readFileSync(file);
      // A whole b-tree page of noise: flipped bytes inside text would be damage SQLite cannot see.
      const page = 4096 * 3;
      for (let i = page; i < page + 4096 && i < bytes.length; i++) bytes[i] = (i * 7919) & 255;
      writeFileSync(file, bytes);
      return openOf(join(d, 'scribbled.s2r'));
    },
    code: 'PROJECT_CORRUPT',
    cause: /scribbled\.s2r\/project\.sqlite: .*(malformed|corrupt|damaged)/,
  },
  {
    id: 'project-db-is-folder',
    area: 'project',
    what: 'project.sqlite that is a folder',
    build: async (d) => (mkdirSync(join(d, 'hollow.s2r', 'project.sqlite'), { recursive: true }), openOf(join(d, 'hollow.s2r'))),
    code: 'PROJECT_CORRUPT',
    cause: /hollow\.s2r\/project\.sqlite: not a readable project database/,
  },
  { id: 'project-missing', area: 'project', what: 'folder without a project', build: async (d) => (mkdirSync(join(d, 'nothing.s2r')), openOf(join(d, 'nothing.s2r'))), code: 'NOT_FOUND', cause: /nothing\.s2r\/project\.sqlite: no project database here/ },
  {
    id: 'project-unreadable',
    area: 'project',
    what: 'project.sqlite without permissions',
    build: async (d) => {
      const at = project(d, 'sealed');
      chmodSync(join(at, 'project.sqlite'), 0o000);
      return openOf(at);
    },
    code: 'PROJECT_CORRUPT',
    cause: /sealed\.s2r\/project\.sqlite: not a readable project database/,
    needsPermissions: true,
  },
];
