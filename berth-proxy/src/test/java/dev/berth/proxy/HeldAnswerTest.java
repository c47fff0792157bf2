package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.enforce.Caller;
import dev.berth.policy.Decision;
import dev.berth.policy.ListElements;
import dev.berth.policy.Owner;
import dev.berth.policy.RequestException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Answers held back until complete: the exec is the caller's before they learn its id. */
class HeldAnswerTest {
  private static final String EXEC_ID = "e" + "1".repeat(63);
  private PipelineFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  private static HttpResponse created() {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED);
    r.headers().set("Transfer-Encoding", "chunked");
    return r;
  }

  @Test
  void execCreate_claimedBeforeTheAnswerIsComplete() throws Exception {
    Decision.FollowUp claim = new Decision.FollowUp.ClaimExec(new Owner(1000, -1));
    assertThat(HeldAnswer.holds(created(), claim, Decision.AnswerNames.AS_IS)).isTrue();
    HeldAnswer held = HeldAnswer.of(created(), ByteBufAllocator.DEFAULT);
    held.add(
        new DefaultHttpContent(
            Unpooled.copiedBuffer("{\"Id\":\"" + EXEC_ID, StandardCharsets.UTF_8)));
    held.add(new DefaultLastHttpContent(Unpooled.copiedBuffer("\"}", StandardCharsets.UTF_8)));
    FullHttpResponse out =
        held.complete(
            claim, Decision.AnswerNames.AS_IS, f.enforcer.begin(Caller.of(PipelineFixture.ALICE)));
    assertThat(f.owners.execOwner(EXEC_ID)).hasValue(new Owner(1000, -1));
    assertThat(out.headers().get("Content-Length"))
        .isEqualTo(String.valueOf(out.content().readableBytes()));
    assertThat(out.headers().contains("Transfer-Encoding")).isFalse();
    out.release();
  }

  @Test
  void execAnswerWithoutId_neverReachesTheCaller() {
    Decision.FollowUp claim = new Decision.FollowUp.ClaimExec(new Owner(1000, -1));
    HeldAnswer held = HeldAnswer.of(created(), ByteBufAllocator.DEFAULT);
    held.add(new DefaultLastHttpContent(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));
    assertThatThrownBy(
            () ->
                held.complete(
                    claim,
                    Decision.AnswerNames.AS_IS,
                    f.enforcer.begin(Caller.of(PipelineFixture.ALICE))))
        .isInstanceOf(RequestException.class);
  }

  @Test
  void failedAnswers_notHeld() {
    assertThat(
            HeldAnswer.holds(
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND),
                new Decision.FollowUp.ClaimExec(new Owner(1, -1)),
                Decision.AnswerNames.AS_IS))
        .isFalse();
    assertThat(HeldAnswer.holds(created(), Decision.FollowUp.NONE, Decision.AnswerNames.AS_IS))
        .isFalse();
  }

  @Test
  void imageError_ofAClaimedPull_heldAndGivenTheCallersNames() throws Exception {
    Decision.FollowUp claim = new Decision.FollowUp.ClaimImage("app:1", new Owner(1001, -1));
    Decision.AnswerNames names =
        new Decision.AnswerNames(
            m -> m.replace("berth.invalid/u1001/docker.io/library/", ""), null);
    HttpResponse conflict =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONFLICT);
    assertThat(HeldAnswer.holds(conflict, claim, names)).isTrue();
    assertThat(HeldAnswer.holds(conflict, claim, Decision.AnswerNames.AS_IS)).isFalse();
    HeldAnswer held = HeldAnswer.of(conflict, ByteBufAllocator.DEFAULT);
    held.add(
        new DefaultLastHttpContent(
            Unpooled.copiedBuffer(
                "{\"message\":\"No such image: berth.invalid/u1001/docker.io/library/app:1\"}",
                StandardCharsets.UTF_8)));
    FullHttpResponse out =
        held.complete(claim, names, f.enforcer.begin(Caller.of(PipelineFixture.ALICE)));
    assertThat(out.content().toString(StandardCharsets.UTF_8))
        .isEqualTo("{\"message\":\"No such image: app:1\"}");
    assertThat(out.status().code()).isEqualTo(409);
    out.release();
  }

  private static HttpResponse ok() {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    r.headers().set("Transfer-Encoding", "chunked");
    return r;
  }

  /** A list mapping that keeps containers named /u1001_*, shown without the prefix. */
  private static Decision.FollowUp.MapNames aliceOnly() {
    ListElements elements =
        new ListElements(
            item -> {
              String name = item.path("Names").path(0).asText("");
              if (!name.startsWith("/u1001_")) {
                return Optional.empty();
              }
              ((ObjectNode) item).putArray("Names").add("/" + name.substring(7));
              return Optional.of(item);
            },
            0);
    return new Decision.FollowUp.MapNames(
        answer -> answer instanceof ArrayNode list ? elements.tree(list) : answer, elements);
  }

  private FullHttpResponse heldList(Decision.FollowUp.MapNames m, String... parts)
      throws RequestException {
    assertThat(HeldAnswer.holds(ok(), m, Decision.AnswerNames.AS_IS)).isTrue();
    HeldAnswer held = HeldAnswer.of(ok(), ByteBufAllocator.DEFAULT);
    for (int i = 0; i < parts.length; i++) {
      ByteBuf b = Unpooled.copiedBuffer(parts[i], StandardCharsets.UTF_8);
      held.add(i == parts.length - 1 ? new DefaultLastHttpContent(b) : new DefaultHttpContent(b));
    }
    return held.complete(
        m, Decision.AnswerNames.AS_IS, f.enforcer.begin(Caller.of(PipelineFixture.ALICE)));
  }

  @Test
  void containerList_mappedAsAStream_dropsWhatTheRuleDrops() throws Exception {
    FullHttpResponse out =
        heldList(
            aliceOnly(),
            "[{\"Names\":[\"/u1001_web\"],\"Id\":\"a\"},{\"Names\":[\"/u10",
            "02_web\"],\"Id\":\"b\"},{\"Names\":[\"/u1001_db\"],\"Id\":\"c\"}]");
    assertThat(out.content().toString(StandardCharsets.UTF_8))
        .isEqualTo("[{\"Names\":[\"/web\"],\"Id\":\"a\"},{\"Names\":[\"/db\"],\"Id\":\"c\"}]");
    assertThat(out.headers().get("Content-Length"))
        .isEqualTo(String.valueOf(out.content().readableBytes()));
    out.release();
  }

  @Test
  void containerList_duplicateKey_refusedWhole() {
    assertThatThrownBy(
            () ->
                heldList(
                    aliceOnly(),
                    "[{\"Names\":[\"/u1001_web\"]},",
                    "{\"Names\":[\"/u1002_x\"],\"Names\":[\"/u1001_x\"]}]"))
        .isInstanceOf(RequestException.class);
  }
}
