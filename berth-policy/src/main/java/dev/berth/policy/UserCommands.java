package dev.berth.policy;

import static dev.berth.policy.Action.*;

import java.util.EnumMap;
import java.util.Map;

/**
 * The docker command a user typed for an action, so that a refusal names what the user did ({@code
 * docker build}) and not only berth's action name ({@code image_build}).
 */
final class UserCommands {
  private static final Map<Action, String> COMMANDS = new EnumMap<>(Action.class);

  static {
    COMMANDS.put(IMAGE_BUILD, "docker build");
    COMMANDS.put(IMAGE_BUILD_PRUNE, "docker builder prune");
    COMMANDS.put(IMAGE_BUILD_CANCEL, "docker build");
    COMMANDS.put(SESSION, "docker build (BuildKit)");
    COMMANDS.put(GRPC, "docker buildx");
    COMMANDS.put(IMAGE_LOAD, "docker load");
    COMMANDS.put(IMAGE_PRUNE, "docker image prune");
    COMMANDS.put(SYSTEM_AUTH, "docker login");
    COMMANDS.put(SWARM, "docker swarm");
    COMMANDS.put(NODE, "docker node");
    COMMANDS.put(SERVICE, "docker service");
    COMMANDS.put(TASK, "docker service ps");
    COMMANDS.put(SECRET, "docker secret");
    COMMANDS.put(CONFIG, "docker config");
    COMMANDS.put(PLUGIN, "docker plugin");
    COMMANDS.put(CONTAINER_CHECKPOINT, "docker checkpoint");
  }

  private UserCommands() {}

  /** {@code docker build (image_build)}, or the action's name when no command is known. */
  static String describe(Action action) {
    String command = COMMANDS.get(action);
    return command == null ? action.id() : command + " (" + action.id() + ")";
  }
}
