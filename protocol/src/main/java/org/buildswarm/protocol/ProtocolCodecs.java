package org.buildswarm.protocol;

import io.vertx.core.eventbus.EventBus;
import java.util.List;
import org.buildswarm.protocol.api.CancelRequest;
import org.buildswarm.protocol.api.DroneList;
import org.buildswarm.protocol.api.EventPage;
import org.buildswarm.protocol.api.GetRun;
import org.buildswarm.protocol.api.GetRunEvents;
import org.buildswarm.protocol.api.GetStatus;
import org.buildswarm.protocol.api.GetQueue;
import org.buildswarm.protocol.api.QueueList;
import org.buildswarm.protocol.api.QueuedJob;
import org.buildswarm.protocol.api.RerunRequest;
import org.buildswarm.protocol.api.WebhookDelivery;
import org.buildswarm.protocol.api.WebhookResult;
import org.buildswarm.protocol.api.GetMetrics;
import org.buildswarm.protocol.api.MetricsText;
import org.buildswarm.protocol.api.SetDroneMode;
import org.buildswarm.protocol.api.DroneView;
import org.buildswarm.protocol.api.SwarmStatus;
import org.buildswarm.protocol.api.ListDrones;
import org.buildswarm.protocol.api.RunDetail;
import org.buildswarm.protocol.api.RunEvent;
import org.buildswarm.protocol.api.RunPage;
import org.buildswarm.protocol.api.RunQuery;
import org.buildswarm.protocol.api.RunSummary;
import org.buildswarm.protocol.api.SubmitResult;
import org.buildswarm.protocol.api.SubmitRun;
import org.buildswarm.protocol.api.ArtifactPublished;
import org.buildswarm.protocol.api.CreateToken;
import org.buildswarm.protocol.api.FindGateway;
import org.buildswarm.protocol.api.GatewayInfo;
import org.buildswarm.protocol.api.JobTokenInfo;
import org.buildswarm.protocol.api.VerifyJobToken;
import org.buildswarm.protocol.api.DeleteToken;
import org.buildswarm.protocol.api.ListTokens;
import org.buildswarm.protocol.api.TokenInfo;
import org.buildswarm.protocol.api.TokenList;
import org.buildswarm.protocol.api.TokenSummary;
import org.buildswarm.protocol.api.TokensChanged;
import org.buildswarm.protocol.api.VerifyToken;
import org.buildswarm.protocol.impl.RecordMessageCodec;
import org.buildswarm.protocol.message.AssignJob;
import org.buildswarm.protocol.message.AssignReply;
import org.buildswarm.protocol.message.CancelAttempt;
import org.buildswarm.protocol.message.ChangeMode;
import org.buildswarm.protocol.message.DroneRegistered;
import org.buildswarm.protocol.message.Heartbeat;
import org.buildswarm.protocol.message.HeartbeatReply;
import org.buildswarm.protocol.message.JobFinished;
import org.buildswarm.protocol.message.JobStarted;
import org.buildswarm.protocol.message.JobStepsEnded;
import org.buildswarm.protocol.message.LogAck;
import org.buildswarm.protocol.message.LogChunk;
import org.buildswarm.protocol.message.Ping;
import org.buildswarm.protocol.message.RegisterDrone;
import org.buildswarm.protocol.message.ReportReply;

/** Registers a codec for every record that travels on the event bus. */
public final class ProtocolCodecs {
  private ProtocolCodecs() {}

  /** Every record type sent or replied on an {@link Addresses} address. */
  public static final List<Class<?>> MESSAGE_TYPES = List.of(
      RegisterDrone.class, DroneRegistered.class, Heartbeat.class, HeartbeatReply.class,
      AssignJob.class, AssignReply.class, CancelAttempt.class, JobStarted.class, JobStepsEnded.class, JobFinished.class,
      ReportReply.class, LogAck.class,
      SubmitRun.class, SubmitResult.class, RunQuery.class, RunPage.class, GetRun.class, RunDetail.class,
      GetRunEvents.class, EventPage.class, RunEvent.class, CancelRequest.class, ListDrones.class,
      DroneList.class, VerifyToken.class, TokenInfo.class, GetStatus.class, SwarmStatus.class,
      SetDroneMode.class, ChangeMode.class, GetQueue.class, QueueList.class, QueuedJob.class,
      RerunRequest.class, org.buildswarm.protocol.api.RetryRequest.class, RunSummary.class, WebhookDelivery.class, WebhookResult.class, DroneView.class, Ping.class, GetMetrics.class, MetricsText.class,
      ListTokens.class, TokenList.class, TokenSummary.class, CreateToken.class, DeleteToken.class, TokensChanged.class,
      VerifyJobToken.class, JobTokenInfo.class, FindGateway.class, GatewayInfo.class, ArtifactPublished.class,
      org.buildswarm.protocol.api.ListEnvironments.class, org.buildswarm.protocol.api.EnvironmentList.class,
      org.buildswarm.protocol.api.EnvironmentView.class, org.buildswarm.protocol.api.RollbackEnvironment.class,
      org.buildswarm.protocol.api.DecideJob.class, org.buildswarm.protocol.api.ListProjects.class,
      org.buildswarm.protocol.api.ProjectList.class, org.buildswarm.protocol.api.ProjectView.class,
      org.buildswarm.protocol.api.GetJobTests.class, org.buildswarm.protocol.api.JobTests.class);

  /**
   * Registers the codecs on an event bus that does not leave this JVM (a single host); call once
   * per Vert.x instance before deploying verticles.
   */
  public static void register(EventBus eventBus) {
    register(eventBus, null);
  }

  /**
   * Registers the codecs, sealing every message that leaves the JVM with these credentials and
   * checking every one that arrives (docs/security.md): a message whose seal does not hold, or that
   * its sender may not send, is answered with 403 and reaches no handler.
   *
   * @param envelopes this node's seals; null for an event bus that does not leave the JVM
   */
  public static void register(EventBus eventBus, org.buildswarm.protocol.auth.Envelopes envelopes) {
    for (Class<?> type : MESSAGE_TYPES) {
      registerOne(eventBus, type, envelopes);
    }
    eventBus.registerDefaultCodec(LogChunk.class, new org.buildswarm.protocol.impl.LogChunkCodec(envelopes));
    if (envelopes != null) {
      List<Class<?>> types = new java.util.ArrayList<>(MESSAGE_TYPES);
      types.add(LogChunk.class);
      eventBus.addInboundInterceptor(new org.buildswarm.protocol.impl.RejectionCheck(types));
    }
  }

  private static <T> void registerOne(EventBus eventBus, Class<T> type, org.buildswarm.protocol.auth.Envelopes envelopes) {
    eventBus.registerDefaultCodec(type, new RecordMessageCodec<>(type, envelopes));
  }
}
