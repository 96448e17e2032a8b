# statusgen in a container: `make compose-up` (see compose.yaml), or
#   make docker-build && docker run --env-file .env -v "$PWD/data:/srv/statusgen/data" statusgen
# The build context has no .git, so `statusgen version` reports the VERSION
# and COMMIT build arguments, which make docker-build passes from git.
# The binary is static (CGO_ENABLED=0); the final image holds it, CA
# certificates and the time zone database, and runs as an unprivileged user.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/Sefaria/statusgen/internal/cli.version=${VERSION} -X github.com/Sefaria/statusgen/internal/cli.commit=${COMMIT}" \
      -o /out/statusgen ./cmd/statusgen \
 && mkdir -p /out/srv/statusgen/data /out/srv/statusgen/site

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/statusgen /usr/local/bin/statusgen
COPY --from=build --chown=65532:65532 /out/srv/statusgen /srv/statusgen
COPY --chown=65532:65532 services.toml /srv/statusgen/services.toml
WORKDIR /srv/statusgen
USER 65532:65532
VOLUME ["/srv/statusgen/data", "/srv/statusgen/site"]
ENTRYPOINT ["statusgen"]
CMD ["run"]
