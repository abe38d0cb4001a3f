# Image of the ren-index worker and web app (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY flows ./flows
COPY config ./config
RUN pip install --no-cache-dir . "psycopg[binary]>=3.1,<4"
ENV REN_DATA_DIR=/data REN_CONFIG_DIR=/app/config
ENTRYPOINT []
