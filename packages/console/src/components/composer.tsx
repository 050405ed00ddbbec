import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { fileSize, isImage } from '../format';
import type { Workspace } from '../stores/workspace';

export function Composer({ workspace }: { workspace: Workspace }) {
  const text = useSignal('');
  const file = useSignal<File | undefined>(undefined);
  const problem = useSignal<string | undefined>(undefined);
  const preview = useSignal<string | undefined>(undefined);
  const fileInput = useRef<HTMLInputElement>(null);
  const limits = workspace.limits.value;

  useEffect(() => {
    const current = file.value;
    if (!current || !isImage(current.name)) {
      preview.value = undefined;
      return;
    }
    const url = URL.createObjectURL(current);
    preview.value = url;
    return () => URL.revokeObjectURL(url);
  }, [file.value]);

  const clearFile = () => {
    file.value = undefined;
    if (fileInput.current) fileInput.current.value = '';
  };

  const choose = (chosen: File | undefined) => {
    problem.value = undefined;
    if (chosen && chosen.size > limits.maxFileBytes) {
      problem.value = `${chosen.name} is ${fileSize(chosen.size)}; the server takes files up to ${fileSize(limits.maxFileBytes)}.`;
      clearFile();
      return;
    }
    file.value = chosen;
  };

  const send = () => {
    const message = text.value.trim();
    if (message === '' && !file.value) return;
    if (message.length > limits.maxMessageChars) {
      problem.value = `The message is ${message.length} characters long; the server takes up to ${limits.maxMessageChars}.`;
      return;
    }
    void workspace.conversation.send(message, file.value);
    text.value = '';
    problem.value = undefined;
    clearFile();
  };

  return (
    <form
      class="composer"
      aria-label="Send a message"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {file.value && (
        <div class="attachment">
          {preview.value && <img src={preview.value} alt={`Preview of ${file.value.name}`} />}
          <span>{`${file.value.name} (${fileSize(file.value.size)})`}</span>
          <button type="button" class="link" onClick={clearFile}>
            Remove attachment
          </button>
        </div>
      )}
      {problem.value && (
        <p class="error" role="alert">
          {problem.value}
        </p>
      )}
      <div class="composer-row">
        <label class="attach" title="Attach file">
          <input
            ref={fileInput}
            type="file"
            aria-label="Attach file"
            onChange={(event) => choose(event.currentTarget.files?.[0])}
          />
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9" />
          </svg>
        </label>
        <textarea
          aria-label="Message"
          placeholder="Write a message (Enter sends, Shift+Enter adds a line)"
          rows={2}
          value={text.value}
          onInput={(event) => (text.value = event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
              event.preventDefault();
              send();
            }
          }}
        />
        <button type="submit">Send</button>
      </div>
    </form>
  );
}
