# naq on Debian 12 with dependencies from apt.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN NAQ_SKIP_NODE=1 bash scripts/install-deps.sh
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNAQ_BUILD_TESTS=OFF -DNAQ_BUILD_BENCH=OFF \
      -DNAQ_BUILD_EXAMPLES=OFF -DNAQ_INSTALL_SYSTEM_FILES=OFF \
 && cmake --build build -j"$(nproc)" && cmake --install build --prefix /opt/naq

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libnats3.4 libsimdjson14 libspdlog1.10 libfmt9 libyaml-cpp0.7 libdate-tz3 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/naq /usr/local
RUN ldconfig
USER nobody
ENTRYPOINT []
CMD ["naq", "--help"]
