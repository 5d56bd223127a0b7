import { z } from 'zod';
import { text } from '../common';

const kind = z.enum(['checkin_photo', 'damage', 'repair_evidence', 'other']);

export const presignBody = z
  .object({
    filename: text(255).describe('The original file name (shown in lists; the object key never uses it)'),
    content_type: z.string().trim().min(3).max(100).describe('image/jpeg, image/png, image/webp, image/gif, image/heic, image/heif, video/mp4, video/quicktime or video/webm'),
    size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('bytes; over MEDIA_MAX_BYTES → 422'),
    method: z.enum(['POST', 'PUT']).default('POST').describe('POST (default): a multipart form upload, what wx.uploadFile sends; PUT: the raw bytes with the signed headers'),
    kind: kind.optional().describe('default: other (staff), damage (customers, who may upload damage or other only)'),
  })
  .strict();
export type PresignBody = z.infer<typeof presignBody>;

export const uploadIdParam = z.object({ id: z.uuid() }).strict();

const postUpload = z.object({ method: z.literal('POST'), url: z.string(), fields: z.record(z.string(), z.string()).describe('form fields to send before the file part, which is named `file`') });
const putUpload = z.object({ method: z.literal('PUT'), url: z.string(), headers: z.record(z.string(), z.string()).describe('send exactly these headers') });

export const presignResult = z.object({
  id: z.uuid().describe('the upload id for POST /media/:id/complete'),
  work_order_id: z.number().int(),
  object_key: z.string(),
  kind,
  filename: z.string(),
  content_type: z.string(),
  size: z.number().int(),
  expires_at: z.string(),
  upload: z.discriminatedUnion('method', [postUpload, putUpload]),
});

export const completedMedia = z.object({
  id: z.uuid(),
  media_id: z.number().int().describe('the media record in Odoo'),
  work_order_id: z.number().int(),
  object_key: z.string(),
  kind,
  filename: z.string(),
  content_type: z.string(),
  size: z.number().int(),
  completed_at: z.string(),
  replayed: z.boolean(),
});

export const mediaList = z.object({
  items: z.array(
    z.object({
      id: z.number().int(),
      kind,
      filename: z.string(),
      content_type: z.string(),
      size: z.number().int(),
      uploaded_at: z.string().nullable(),
      uploaded_by: z.object({ kind: z.enum(['staff', 'customer', 'system']), name: z.string().nullable() }),
      url: z.string().describe('signed GET URL, valid until url_expires_at'),
      url_expires_at: z.string(),
    }),
  ),
});
