/** Path under which the api serves stored files; the Message's `file` is an absolute URL to it. */
export const FILES_PATH = '/api/files';

export function fileUrl(baseUrl: string, key: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${FILES_PATH}/${key}/${encodeURIComponent(name)}`;
}
