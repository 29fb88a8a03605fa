# syntax=docker/dockerfile:1
# Sluice's image: the runnable jar on a JRE, run as a non-root user, with a JDK 25 AOT cache
# trained at build time on the demo routes (start-up is scale-out time: see the README).
#
#   docker build -t sluice .
#   docker run --rm -p 8080:8080 -p 9901:9901 sluice            # the demo, as the README's first command
#   docker run --rm -p 8080:8080 -v $PWD/routes.yaml:/etc/sluice/routes.yaml:ro sluice \
#       run --config /etc/sluice/routes.yaml --admin 0.0.0.0:9901
ARG JDK=25

FROM maven:3.9-eclipse-temurin-${JDK} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -Dspotless.check.skip=true -pl gateway -am package

FROM eclipse-temurin:${JDK}-jre
# The flags of the training run and of every start must agree, or the JVM ignores the cache.
ENV SLUICE_JVM_FLAGS="-XX:+UseParallelGC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --no-create-home --shell /usr/sbin/nologin sluice
WORKDIR /app
COPY --from=build /src/gateway/target/sluice.jar /app/sluice.jar
COPY routes/demo.yaml /app/routes/demo.yaml
COPY docker/train.sh /tmp/train.sh
RUN bash /tmp/train.sh /app/sluice.aot $SLUICE_JVM_FLAGS && rm /tmp/train.sh
USER 10001:10001
EXPOSE 8080 9901
# Options for a deployment go in JDK_JAVA_OPTIONS (the Helm chart's javaOpts).
ENTRYPOINT ["java", "-XX:AOTCache=/app/sluice.aot", "-XX:+UseParallelGC", "-XX:MaxRAMPercentage=75", \
            "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/sluice.jar"]
CMD ["run", "--config", "/app/routes/demo.yaml", "--demo-backends", "--admin", "0.0.0.0:9901"]
