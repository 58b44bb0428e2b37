"""Users of the admin tests: who may see the runtime tables and who may not."""

from django.contrib.auth.models import Permission, User


def create_user(username: str, is_staff: bool, view_eri: bool) -> User:
    """An active user; ``view_eri`` grants every ``eri.view_*`` permission."""
    user = User.objects.create_user(username=username, password=None, is_staff=is_staff)
    if view_eri:
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="eri", codename__startswith="view_")
        )
    return user
