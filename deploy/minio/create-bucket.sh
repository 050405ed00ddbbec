#!/bin/sh
# One-off step of docker-compose.yml (image minio/mc): wait for MinIO, then create the api's bucket.
# Idempotent, so `docker compose up` can run it every time. The api would also create a missing
# bucket at start, but two replicas racing to do so is what this step avoids.
set -eu

: "${MINIO_URL:?}" "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_BUCKET:?}"

tries=0
until mc alias set helpdesk "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "MinIO at $MINIO_URL did not answer within 60 s" >&2
    exit 1
  fi
  sleep 1
done

mc mb --ignore-existing "helpdesk/$S3_BUCKET"
# Files are served through the api (GET /api/files/...), never straight from the bucket.
mc anonymous set none "helpdesk/$S3_BUCKET"
echo "bucket $S3_BUCKET is ready"
