package org.buildswarm.protocol.auth;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.buildswarm.protocol.message.FromDrone;
import org.buildswarm.protocol.message.ToDrone;

/**
 * Seals every message a node sends to another with its credentials, and opens (checks) what it
 * receives — inside the codecs, over the exact bytes that travel. A sealed message carries who
 * sealed it, when, a random nonce and an HMAC-SHA256 over all of that, the message's type and its
 * bytes:
 * <ul>
 *   <li>the control plane seals with the shared control secret, except what it sends to a drone
 *       ({@link ToDrone}), which it seals with that drone's key so the drone can check it;
 *   <li>a drone seals with its own key, and only messages that speak for itself ({@link FromDrone}
 *       naming it) are accepted from it.
 * </ul>
 * A message sealed more than {@link #MAX_SKEW_MS} ago or ahead, or whose nonce was seen already,
 * is refused (a replay). One instance per node; safe for concurrent use.
 */
public final class Envelopes {
  /** How far a sender's clock may be from the receiver's. */
  public static final long MAX_SKEW_MS = 120_000;
  private static final byte MAGIC = 'B';
  private static final byte VERSION = 1;
  private static final byte BY_CONTROL = 1;
  private static final byte BY_CONTROL_TO_DRONE = 2;
  private static final byte BY_DRONE = 3;
  private static final int MAC_BYTES = 32;

  /** Who sealed a message, once its seal is checked. */
  public record Sender(Credentials.Role role, String drone) {
    @Override
    public String toString() {
      return role == Credentials.Role.CONTROL ? "the control plane" : "drone " + drone;
    }
  }

  /** A message's bytes after its seal was checked, and who sealed it. */
  public record Opened(Sender sender, byte[] payload, int end) {}

  /** The seal did not hold; the reason says why, for the log. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String reason) {
      super(reason, null, false, false);
    }
  }

  private final Credentials own;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, SecretKeySpec> droneKeys = new ConcurrentHashMap<>();
  private final SecretKeySpec ownKey;
  /** Nonces seen, with when they may be forgotten (past the skew window, a replay is refused by its time). */
  private final Map<Long, Long> seen = new ConcurrentHashMap<>();
  private volatile long nextSweep;

  public Envelopes(Credentials own) {
    this.own = own;
    this.ownKey = new SecretKeySpec(own.ownKey(), "HmacSHA256");
  }

  public Credentials credentials() {
    return own;
  }

  /** Appends {@code payload} sealed with this node's credentials. */
  public void seal(Buffer out, String type, Object value, byte[] payload) {
    byte by;
    String drone;
    SecretKeySpec key;
    if (own.role() == Credentials.Role.DRONE) {
      by = BY_DRONE;
      drone = own.drone();
      key = ownKey;
    } else if (value instanceof ToDrone addressed && addressed.drone() != null) {
      by = BY_CONTROL_TO_DRONE;
      drone = addressed.drone();
      key = droneKey(drone);
    } else {
      by = BY_CONTROL;
      drone = "";
      key = ownKey;
    }
    byte[] name = drone.getBytes(StandardCharsets.UTF_8);
    long at = System.currentTimeMillis();
    long nonce = random.nextLong();
    byte[] mac = mac(key, by, name, at, nonce, type, payload);
    out.appendByte(MAGIC).appendByte(VERSION).appendByte(by).appendShort((short) name.length).appendBytes(name)
        .appendLong(at).appendLong(nonce).appendBytes(mac).appendInt(payload.length).appendBytes(payload);
  }

  /**
   * Checks a sealed message and returns its bytes and sender.
   *
   * @throws Refused if the seal does not hold, is stale or replayed, or the sender may not send it here
   */
  public Opened open(int pos, Buffer in, String type) throws Refused {
    if (in.length() < pos + 3 || in.getByte(pos) != MAGIC || in.getByte(pos + 1) != VERSION) {
      throw new Refused("it is not sealed (sent by a node without credentials?)");
    }
    byte by = in.getByte(pos + 2);
    int nameLength = in.getShort(pos + 3);
    int at = pos + 5;
    byte[] name = in.getBytes(at, at + nameLength);
    at += nameLength;
    long sealedAt = in.getLong(at);
    long nonce = in.getLong(at + 8);
    byte[] mac = in.getBytes(at + 16, at + 16 + MAC_BYTES);
    at += 16 + MAC_BYTES;
    int length = in.getInt(at);
    byte[] payload = in.getBytes(at + 4, at + 4 + length);
    String drone = new String(name, StandardCharsets.UTF_8);
    SecretKeySpec key = keyFor(by, drone);
    if (!MessageDigest.isEqual(mac, mac(key, by, name, sealedAt, nonce, type, payload))) {
      throw new Refused("its seal does not match (forged, or sealed with other credentials)");
    }
    long now = System.currentTimeMillis();
    if (Math.abs(now - sealedAt) > MAX_SKEW_MS) {
      throw new Refused("it was sealed " + (now - sealedAt) / 1000 + " s from now (replayed, or a clock far off)");
    }
    if (seen.putIfAbsent(nonce, sealedAt + 2 * MAX_SKEW_MS) != null) {
      throw new Refused("it was received before (replayed)");
    }
    sweep(now);
    Sender sender = by == BY_DRONE ? new Sender(Credentials.Role.DRONE, drone) : new Sender(Credentials.Role.CONTROL, null);
    return new Opened(sender, payload, at + 4 + length);
  }

  /**
   * Whether the sender may send this (decoded) message: the control plane anything; a drone only
   * what speaks for itself.
   *
   * @throws Refused if not
   */
  public static void authorize(Sender sender, Object value, String type) throws Refused {
    if (sender.role() != Credentials.Role.DRONE) {
      return;
    }
    if (!(value instanceof FromDrone claim)) {
      throw new Refused("drone " + sender.drone() + " may not send " + simple(type));
    }
    if (!sender.drone().equals(claim.drone())) {
      throw new Refused("drone " + sender.drone() + " may not speak for drone " + claim.drone());
    }
  }

  /** The key a message sealed this way must have been sealed with, if this node may receive it at all. */
  private SecretKeySpec keyFor(byte by, String drone) throws Refused {
    if (own.role() == Credentials.Role.DRONE) {
      // A drone takes only what the control plane seals for it.
      if (by != BY_CONTROL_TO_DRONE || !drone.equals(own.drone())) {
        throw new Refused(by == BY_DRONE ? "drone " + drone + " may not send to a drone"
            : "a drone takes only what the control plane sealed for it");
      }
      return ownKey;
    }
    return switch (by) {
      case BY_CONTROL -> ownKey;
      case BY_CONTROL_TO_DRONE, BY_DRONE -> droneKey(drone);
      default -> throw new Refused("it is sealed in a way this node does not know");
    };
  }

  private SecretKeySpec droneKey(String drone) {
    return droneKeys.computeIfAbsent(drone, name -> new SecretKeySpec(own.droneKey(name), "HmacSHA256"));
  }

  private static byte[] mac(SecretKeySpec key, byte by, byte[] name, long at, long nonce, String type, byte[] payload) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      mac.update(new byte[] {MAGIC, VERSION, by});
      mac.update(name);
      mac.update(longBytes(at));
      mac.update(longBytes(nonce));
      mac.update(type.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(payload);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  private static byte[] longBytes(long value) {
    byte[] bytes = new byte[8];
    for (int i = 7; i >= 0; i--) {
      bytes[i] = (byte) value;
      value >>>= 8;
    }
    return bytes;
  }

  private void sweep(long now) {
    if (now < nextSweep) {
      return;
    }
    nextSweep = now + MAX_SKEW_MS;
    seen.values().removeIf(forgetAt -> forgetAt < now);
  }

  private static String simple(String type) {
    return type.substring(type.lastIndexOf('.') + 1);
  }
}
