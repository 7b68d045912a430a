package org.buildswarm.orchestrator.simulate;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Draws a simulated schedule: one band per drone, one row per core, one bar per job. */
public final class TimelineSvg {
  private static final int WIDTH = 1200;
  private static final int LEFT = 110;
  private static final int LANE = 6;
  private static final int GAP = 14;
  private static final int TOP = 40;

  private TimelineSvg() {}

  public static String render(Workload workload, SimulationResult result, String title) {
    Map<String, Integer> bandTop = new LinkedHashMap<>();
    int y = TOP;
    for (Workload.Drone drone : workload.drones()) {
      bandTop.put(drone.name(), y);
      y += drone.cores() * LANE + GAP;
    }
    int height = y + 30;
    double scale = result.makespanMs() == 0 ? 1 : (WIDTH - LEFT - 20) / (double) result.makespanMs();
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">%n",
        WIDTH, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"13\">%s — makespan %.1fs, lower bound %.1fs,"
        + " ratio %.3f, utilisation %.0f%%</text>%n", LEFT, escape(title), result.makespanMs() / 1000.0,
        result.lowerBoundMs() / 1000.0, result.ratio(), result.utilization() * 100));
    for (Workload.Drone drone : workload.drones()) {
      int top = bandTop.get(drone.name());
      svg.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\">%s (%d)</text>%n", top + drone.cores() * LANE / 2 + 4,
          escape(drone.name()), drone.cores()));
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f2f2f2\"/>%n",
          LEFT, top, WIDTH - LEFT - 20, drone.cores() * LANE));
    }
    for (SimulationResult.Slice slice : result.timeline()) {
      int top = bandTop.get(slice.drone());
      String color = color(slice.job());
      double x = LEFT + slice.startMs() * scale;
      double width = Math.max(0.5, (slice.endMs() - slice.startMs()) * scale);
      for (int lane : slice.lanes()) {
        svg.append(String.format(Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"0.3\">"
                + "<title>%s on %s, %d core(s), %.1fs–%.1fs</title></rect>%n",
            x, top + lane * LANE, width, LANE, color, escape(slice.job()), escape(slice.drone()), slice.cores(),
            slice.startMs() / 1000.0, slice.endMs() / 1000.0));
      }
    }
    for (int tick = 0; tick <= 10; tick++) {
      double x = LEFT + (WIDTH - LEFT - 20) * tick / 10.0;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#bbbbbb\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0fs</text>%n", x, TOP - 4, x, y - GAP + 4, x, y + 8,
          result.makespanMs() * tick / 10.0 / 1000.0));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static String color(String job) {
    int mixed = job.hashCode() * 0x9E3779B9; // spread similar names (pkg-001, pkg-002) over the colour wheel
    float hue = ((mixed ^ (mixed >>> 15)) & 0xffff) / 65535f;
    java.awt.Color color = java.awt.Color.getHSBColor(hue, 0.55f, 0.85f);
    return String.format(Locale.ROOT, "#%02x%02x%02x", color.getRed(), color.getGreen(), color.getBlue());
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
