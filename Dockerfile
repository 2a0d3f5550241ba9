# spanledger service image (server mode in docker-compose.yml; embedded chDB works too).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY spanledger ./spanledger
COPY ingest ./ingest
COPY store ./store
COPY jobs ./jobs
COPY dashboards ./dashboards
COPY alerts ./alerts
COPY sql ./sql
RUN pip install --no-cache-dir -e .
EXPOSE 4317 4318 8050
CMD ["spanledger", "serve", "--host", "0.0.0.0"]
