package io.troupe.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.troupe.runtime.broker.BrokerMetrics;
import io.troupe.runtime.broker.Topic;
import io.troupe.runtime.broker.TopicLog;
import io.troupe.runtime.broker.TopicNames;
import io.troupe.runtime.broker.TopicSummary;
import io.troupe.runtime.broker.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import org.apache.pekko.http.javadsl.server.Route;

/**
 * The broker's HTTP surface under {@code /api/v1/topics}: publish, replay, live SSE, subscriber
 * positions and the topic list. Writes go to the sharded entities; reads come from the journal
 * through {@link TopicLog}, so any node answers them.
 */
public final class TopicRoutes extends EdgeDirectives {

  /** Bodies of requests and answers, kept apart from the entities' commands. */
  /** {@code repeated}: the Idempotency-Key was seen before and nothing was appended (then publishedAt is null). */
  record PublishedView(String topic, long offset, Instant publishedAt, boolean repeated) {}

  record MessagesPage(String topic, List<MessageView> messages, long nextOffset) {}

  record TopicsPage(List<TopicSummary> topics, String next) {}

  private final Topics topics;
  private final TopicLog log;
  private final BrokerMetrics metrics;
  private final int defaultLimit;
  private final int maxLimit;
  private final Duration keepAlive;

  public TopicRoutes(ActorSystem<?> system, TopicLog log, long maxBodyBytes) {
    super(maxBodyBytes);
    var settings = io.troupe.runtime.node.RuntimeSettings.get(system);
    this.topics = Topics.get(system);
    this.log = log;
    this.metrics = BrokerMetrics.get(system);
    this.defaultLimit = settings.broker().defaultReadLimit();
    this.maxLimit = settings.broker().maxReadLimit();
    this.keepAlive = settings.broker().streamKeepAlive();
  }

  public Route route() {
    return pathPrefix("topics", () -> concat(
        pathEnd(() -> template("/api/v1/topics", () -> get(this::listTopics))),
        pathPrefix(segment(), this::topicRoutes)));
  }

  private Route topicRoutes(String topic) {
    return concat(
        path("messages", () -> template("/api/v1/topics/{topic}/messages", () -> concat(
            post(() -> validName("topic", topic, () -> publish(topic))),
            get(() -> validName("topic", topic, () -> read(topic)))))),
        path("stream", () -> template("/api/v1/topics/{topic}/stream", () ->
            get(() -> validName("topic", topic, () -> stream(topic))))),
        pathPrefix("subscribers", () -> pathPrefix(segment(), name -> subscriberRoutes(topic, name))));
  }

  private Route subscriberRoutes(String topic, String name) {
    Supplier<Route> get = () -> validName("topic", topic, () -> validName("name", name, () -> position(topic, name)));
    Supplier<Route> ack = () -> validName("topic", topic, () -> validName("name", name, () -> ack(topic, name)));
    return concat(
        pathEnd(() -> template("/api/v1/topics/{topic}/subscribers/{name}", () -> get(get))),
        path("ack", () -> template("/api/v1/topics/{topic}/subscribers/{name}/ack", () -> post(ack))));
  }

  private Route validName(String field, String name, Supplier<Route> inner) {
    return TopicNames.problem(name)
        .map(problem -> problem(Problem.invalid(field, problem)))
        .orElseGet(inner);
  }

  /**
   * POST /api/v1/topics/{topic}/messages: 201 with the message's offset. With an
   * {@code Idempotency-Key} header, a retry of the same publish answers 200 with the original
   * offset instead of appending again.
   */
  private Route publish(String topic) {
    return principal(caller -> optionalHeaderValueByName("Idempotency-Key", key -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      String sender = errors.requiredText(body, "sender", 255);
      String recipient = errors.optionalText(body, "recipient", 255);
      String messageType = errors.requiredText(body, "messageType", 128);
      JsonNode content = errors.requiredAny(body, "content");
      key.filter(k -> k.isBlank() || k.length() > 255)
          .ifPresent(k -> errors.add("Idempotency-Key", "must be 1 to 255 characters"));
      if (errors.any()) {
        return problem(errors.problem());
      }
      String contentJson;
      try {
        contentJson = Json.MAPPER.writeValueAsString(content);
      } catch (JsonProcessingException e) {
        return problem(Problem.invalid("content", "cannot be stored as JSON"));
      }
      // Without a client key the edge makes one up, so that its own re-asks (see Topics)
      // can never append twice; it is not reported as "repeated" to the client then.
      String idempotencyKey = key.map(k -> "http:" + k).orElseGet(() -> "edge:" + java.util.UUID.randomUUID());
      CompletionStage<Topic.Published> published = topics.publish(new Topics.Publication(topic, sender, recipient,
          messageType, contentJson, idempotencyKey, caller.userId()));
      boolean clientKey = key.isPresent();
      return respond(published.thenApply(p -> clientKey && p.repeated()
              ? Json.response(StatusCodes.OK, new PublishedView(p.topic(), p.offset(), p.publishedAt(), true))
              : Json.response(StatusCodes.CREATED, new PublishedView(p.topic(), p.offset(), p.publishedAt(), false))
          .addHeader(Location.create("/api/v1/topics/" + topic + "/messages?from=" + p.offset() + "&limit=1"))));
    })));
  }

  /** GET /api/v1/topics/{topic}/messages?from=&limit=: stored messages in offset order. */
  private Route read(String topic) {
    return parameterOptional("from", from -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long fromOffset = errors.queryLong(from, "from", 1, 1, Long.MAX_VALUE);
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(log.read(topic, fromOffset, (int) pageSize).thenApply(messages -> {
        long next = messages.isEmpty() ? fromOffset : messages.get(messages.size() - 1).offset() + 1;
        return Json.response(StatusCodes.OK,
            new MessagesPage(topic, messages.stream().map(MessageView::of).toList(), next));
      }));
    }));
  }

  /**
   * GET /api/v1/topics/{topic}/stream: SSE of stored messages from {@code from} (or after the
   * {@code Last-Event-ID} header), then live ones. Without either, only new messages.
   */
  private Route stream(String topic) {
    return optionalHeaderValueByName("Last-Event-ID", lastEventId -> parameterOptional("from", from -> {
      FieldErrors errors = new FieldErrors();
      OptionalLong start = OptionalLong.empty();
      if (lastEventId.isPresent()) {
        start = OptionalLong.of(errors.queryLong(lastEventId, "Last-Event-ID", 0, 0, Long.MAX_VALUE - 1) + 1);
      } else if (from.isPresent()) {
        start = OptionalLong.of(errors.queryLong(from, "from", 1, 1, Long.MAX_VALUE));
      }
      if (errors.any()) {
        return problem(errors.problem());
      }
      OptionalLong first = start;
      return streamSlot(release -> {
        var events = log.follow(topic, first)
            .map(m -> ServerSentEvent.create(new String(Json.bytes(MessageView.of(m)), java.nio.charset.StandardCharsets.UTF_8),
                "message", Long.toString(m.offset())))
            .keepAlive(keepAlive, ServerSentEvent::heartbeat)
            .watchTermination((mat, done) -> {
              done.whenComplete((d, e) -> release.run()); // the slot streamSlot took (node, key, user)
              return mat;
            });
        return completeOK(events, EventStreamMarshalling.toEventStream());
      });
    }));
  }

  /** GET /api/v1/topics/{topic}/subscribers/{name}: the subscriber's acknowledged position. */
  private Route position(String topic, String name) {
    return respond(topics.position(topic, name).thenApply(p -> Json.response(StatusCodes.OK, p)));
  }

  /**
   * POST /api/v1/topics/{topic}/subscribers/{name}/ack {"offset": N}: acknowledges up to N; the
   * position is the caller's from its first ack, and another user's is refused (403).
   */
  private Route ack(String topic, String name) {
    return principal(caller -> jsonObject(body -> {
      FieldErrors errors = new FieldErrors();
      long offset = errors.requiredLong(body, "offset", 0, Long.MAX_VALUE);
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(topics.ack(topic, name, offset, caller).thenApply(p -> Json.response(StatusCodes.OK, p)));
    }));
  }

  /** GET /api/v1/topics?after=&limit=: topics in name order with their last offsets. */
  private Route listTopics() {
    return parameterOptional("after", after -> parameterOptional("limit", limit -> {
      FieldErrors errors = new FieldErrors();
      long pageSize = errors.queryLong(limit, "limit", defaultLimit, 1, maxLimit);
      after.flatMap(TopicNames::problem).ifPresent(p -> errors.add("after", p));
      if (errors.any()) {
        return problem(errors.problem());
      }
      return respond(log.list(after.orElse(""), (int) pageSize + 1).thenApply(found -> {
        boolean more = found.size() > pageSize;
        List<TopicSummary> page = more ? found.subList(0, (int) pageSize) : found;
        String next = more ? page.get(page.size() - 1).topic() : null;
        return Json.response(StatusCodes.OK, new TopicsPage(page, next));
      }));
    }));
  }
}
