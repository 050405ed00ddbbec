import { useEffect, useState } from 'preact/hooks';
import type { Backend } from '../api/backend';
import { errorText } from '../api/backend';
import { fileName, isImage } from '../format';

/**
 * A message's file. Files are served only with the key, so a plain link would not open: the
 * bytes are fetched with it and shown through an object URL (an image as a preview).
 */
export function MessageFile({ backend, url }: { backend: Backend; url: string }) {
  const name = fileName(url);
  const [objectUrl, setObjectUrl] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let revoked = false;
    let made: string | undefined;
    backend.downloadFile(url).then(
      (blob) => {
        if (revoked) return;
        made = URL.createObjectURL(blob);
        setObjectUrl(made);
      },
      (failure: unknown) => !revoked && setError(errorText(failure)),
    );
    return () => {
      revoked = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [backend, url]);

  if (error) return <span class="file error">{`${name}: ${error}`}</span>;
  if (!objectUrl) return <span class="file loading">{name}</span>;
  return (
    <span class="file">
      {isImage(name) && <img src={objectUrl} alt={name} loading="lazy" />}
      <a href={objectUrl} download={name}>
        {`Download ${name}`}
      </a>
    </span>
  );
}
