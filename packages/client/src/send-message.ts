import { expectOk, type Message, type RestClient } from './rest.js';

/** What a file can be: a Blob or File (browsers, Node), bytes, or a stream of bytes. */
export type FileInput = Blob | ArrayBuffer | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface SendMessageInput {
  /** The help desk's uuid. */
  helpDesk: string;
  message?: string;
  file?: FileInput;
  /** The file's name as the api keeps it; a File's own name by default, else `file`. */
  fileName?: string;
  /** The file's content type, when `file` is not a Blob that has one. */
  contentType?: string;
  /** Send a new one per message and the same one when retrying it: the message is created once. */
  idempotencyKey?: string;
}

const PATH = '/api/send-message/';

/** What the Blob constructor takes (DOM's BlobPart, named without needing DOM's types). */
type BlobParts = NonNullable<ConstructorParameters<typeof Blob>[0]>;

/** `POST /api/send-message/`: JSON for text, multipart when there is a file. Answers the Message. */
export async function sendMessage(api: RestClient, input: SendMessageInput): Promise<Message> {
  const headers = input.idempotencyKey === undefined ? {} : { 'idempotency-key': input.idempotencyKey };
  const fields = { help_desk: input.helpDesk, message: input.message };
  if (input.file === undefined) {
    return expectOk(api.POST(PATH, { body: fields, params: { header: headers } }), `POST ${PATH}`);
  }
  const file = await toBlob(input.file, input.contentType);
  const name = input.fileName ?? (file as Partial<File>).name ?? 'file';
  return expectOk(
    api.POST(PATH, {
      body: { ...fields, file },
      params: { header: headers },
      // The multipart body; fetch sets its content type with the boundary.
      bodySerializer: () => {
        const form = new FormData();
        form.append('help_desk', input.helpDesk);
        if (input.message !== undefined) form.append('message', input.message);
        form.append('file', file, name);
        return form;
      },
    }),
    `POST ${PATH}`,
  );
}

async function toBlob(file: FileInput, contentType: string | undefined): Promise<Blob> {
  const type = contentType === undefined ? {} : { type: contentType };
  if (file instanceof Blob) return contentType === undefined ? file : new Blob([file], type);
  if (file instanceof ArrayBuffer || file instanceof Uint8Array) return new Blob([file as BlobParts[number]], type);
  const chunks: Uint8Array[] = [];
  const iterable: AsyncIterable<Uint8Array> = Symbol.asyncIterator in file ? file : readableChunks(file);
  for await (const chunk of iterable) chunks.push(chunk);
  return new Blob(chunks as BlobParts, type);
}

async function* readableChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
