const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** A message's time: the hour today, the date before. */
export function messageTime(timestamp: string, now = new Date()): string {
  const date = new Date(timestamp);
  return date.toDateString() === now.toDateString() ? time.format(date) : dateTime.format(date);
}

export function clockTime(millis: number): string {
  return clock.format(new Date(millis));
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The name a file URL ends with (`…/api/files/<key>/<name>`). */
export function fileName(fileUrl: string): string {
  const last = fileUrl.split('?')[0]?.split('/').filter(Boolean).at(-1) ?? 'file';
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

export function isImage(name: string): boolean {
  return IMAGE.test(name);
}
