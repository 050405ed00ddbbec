// How a load-generator socket gets permission to connect. Today the gateway admits anyone to
// /ws/chat/<org>/; when tickets arrive (a later issue), this is the one function to change: ask
// the api for a ticket here and put it in the URL or a header.

export interface SocketRequest {
  url: string;
  headers: Record<string, string>;
}

export function socketRequest(baseUrl: string, organization: string): Promise<SocketRequest> {
  return Promise.resolve({ url: `${baseUrl}/ws/chat/${organization}/`, headers: {} });
}
