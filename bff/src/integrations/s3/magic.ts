/**
 * What media the BFF accepts, and what a file's first bytes say it is. The declared Content-Type is the client's word;
 * the magic number is the file's: `complete` accepts an object only when both agree.
 */

/** The allow-list: content type → file extension of the object key. Images and videos only. */
export const MEDIA_TYPES = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
} as const;
export type MediaType = keyof typeof MEDIA_TYPES;
export const MEDIA_TYPE_LIST = Object.keys(MEDIA_TYPES) as MediaType[];

/** How many leading bytes `sniff` needs (an ISO-BMFF `ftyp` box with a few compatible brands fits). */
export const SNIFF_BYTES = 64;

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2']);
const MP4_BRANDS = new Set(['isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'mp71', 'avc1', 'dash', 'M4V ', 'M4A ', 'f4v ', 'mmp4', '3gp4', '3gp5', '3gp6', '3g2a', 'MSNV', 'XAVC']);
const QT_BRAND = 'qt  ';
// Old QuickTime files start with an atom other than ftyp.
const QT_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

const ascii = (b: Buffer, from: number, to: number) => b.subarray(from, to).toString('latin1');
const startsWith = (b: Buffer, bytes: number[]) => b.length >= bytes.length && bytes.every((x, i) => b[i] === x);

/**
 * The media types these bytes are compatible with ([] = none we accept). HEIC/HEIF share the ISO-BMFF image brands,
 * so either declared type passes for either; MP4 and QuickTime are told apart by the major and compatible brands.
 */
export function sniff(head: Buffer): MediaType[] {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return ['image/jpeg'];
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return ['image/png'];
  if (head.length >= 6 && (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')) return ['image/gif'];
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return ['image/webp'];
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return ['video/webm'];
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') {
    const boxSize = head.readUInt32BE(0);
    const end = Math.min(head.length, boxSize >= 16 ? boxSize : 16);
    const brands = [ascii(head, 8, 12)];
    for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(head, i, i + 4));
    const major = brands[0]!;
    if (HEIC_BRANDS.has(major) || HEIF_BRANDS.has(major)) return ['image/heic', 'image/heif'];
    if (major === QT_BRAND) return ['video/quicktime'];
    if (brands.some((b) => HEIC_BRANDS.has(b)) && !brands.some((b) => MP4_BRANDS.has(b))) return ['image/heic', 'image/heif'];
    if (MP4_BRANDS.has(major) || brands.some((b) => MP4_BRANDS.has(b))) return ['video/mp4'];
    if (brands.includes(QT_BRAND)) return ['video/quicktime'];
    return [];
  }
  if (head.length >= 8 && QT_ATOMS.has(ascii(head, 4, 8))) return ['video/quicktime'];
  return [];
}

export const isMediaType = (t: string): t is MediaType => Object.hasOwn(MEDIA_TYPES, t);
